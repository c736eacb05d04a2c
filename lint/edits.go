package lint

import (
	"os"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
)

// fileLines gives rules.ResolveEdits the lines of the files findings' edits
// name: from disk, or for a file split from an nginx -T
// dump, the dump from that file's first line on. Standard input is not
// kept, so its edits are dropped.
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
	// included list), so a fleet's files are not all held at once.
	type read struct {
		name  string
		lines []string
	}
	var recent []read
	readFile := func(name string) ([]string, bool) {
		for _, r := range recent {
			if r.name == name {
				return r.lines, r.lines != nil
			}
		}
		var ls []string
		if data, err := os.ReadFile(name); err == nil {
			ls = strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
		}
		if len(recent) == 8 {
			recent = recent[1:]
		}
		recent = append(recent, read{name, ls})
		return ls, ls != nil
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
