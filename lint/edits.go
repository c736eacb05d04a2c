package lint

import (
	"os"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
)

// fileLines gives rules.ResolveEdits the lines of the files findings' edits
// name, each read once: from disk, or for a file split from an nginx -T
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
	read := map[string][]string{}
	readFile := func(name string) ([]string, bool) {
		ls, ok := read[name]
		if !ok {
			data, err := os.ReadFile(name)
			if err == nil {
				ls = strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
			}
			read[name] = ls
		}
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
