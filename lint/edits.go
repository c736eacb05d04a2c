package lint

import (
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
)

// fileLines gives rules.ResolveEdits the lines of the files findings' edits
// name: from disk, or for a file split from an nginx -T dump, the dump from
// that file's first line on. Standard input is not kept, so its edits are
// dropped. It is safe for concurrent use: the workers resolving a report's
// edits share it.
func fileLines(ng *nginxconf.Config) rules.Lines {
	type part struct {
		dump string
		at   int
	}
	dumped := map[string]part{}
	for _, f := range ng.Files {
		if f.DumpPath != "" {
			dumped[f.Path] = part{f.DumpPath, f.DumpLine}
		}
	}
	// The last few files read: findings come sorted by file, and their
	// edits name their own file or a few others (trustcheck.yaml, an
	// included list), so a fleet's files are not all held at once. Each
	// is read once, by the first worker to ask for it.
	type read struct {
		name  string
		once  sync.Once
		lines []string
	}
	var mu sync.Mutex
	var recent []*read
	readFile := func(name string) ([]string, bool) {
		mu.Lock()
		i := slices.IndexFunc(recent, func(r *read) bool { return r.name == name })
		var r *read
		if i >= 0 {
			r = recent[i]
		} else {
			r = &read{name: name}
			if len(recent) == 16 {
				recent = recent[1:]
			}
			recent = append(recent, r)
		}
		mu.Unlock()
		r.once.Do(func() {
			if data, err := os.ReadFile(name); err == nil {
				r.lines = strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
			}
		})
		return r.lines, r.lines != nil
	}
	return func(file string) ([]string, bool) {
		if file == "" || file == "<stdin>" {
			return nil, false
		}
		if d, ok := dumped[file]; ok {
			ls, ok := readFile(d.dump)
			if !ok || d.at > len(ls) {
				return nil, false
			}
			return ls[d.at:], true
		}
		return readFile(file)
	}
}
