package rules

import (
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestResolveAndApplyEdits: each way of making an edit, matched to a
// file's text and applied.
func TestResolveAndApplyEdits(t *testing.T) {
	nginx := "http {\n    server {\n        location / {\n            proxy_pass http://a;  # keep\n        }\n    }\n}"
	yaml := "version: 1\napp:\n  framework: express\n  trust_proxy: false   # why\n  session:\n    cookie_secure: true\n    proxy: true\napps2: {x: 1}"
	list := "apps:\n  - name: web\n    framework: koa\n  - name: api\n    session: {cookie_secure: true, proxy: false}"
	at := func(file string, line int) trustmodel.Pos { return trustmodel.Pos{File: file, Line: line} }
	for _, c := range []struct {
		name, text string
		edit       Edit
		want       string // the file after, "" when the edit must not resolve
	}{
		{"insert after", nginx, InsertAfter(at("n", 4), "proxy_set_header A b;"),
			"http {\n    server {\n        location / {\n            proxy_pass http://a;  # keep\n            proxy_set_header A b;\n        }\n    }\n}"},
		{"insert inside", nginx, InsertInside(at("n", 2), "x on;"),
			"http {\n    server {\n        x on;\n        location / {\n            proxy_pass http://a;  # keep\n        }\n    }\n}"},
		{"insert before", nginx, InsertBefore(at("n", 2), "server {\n    return 444;\n}"),
			"http {\n    server {\n        return 444;\n    }\n    server {\n        location / {\n            proxy_pass http://a;  # keep\n        }\n    }\n}"},
		{"replace, other spacing", nginx, ReplaceText(at("n", 4), "proxy_pass  http://a;", "proxy_pass http://b;"),
			"http {\n    server {\n        location / {\n            proxy_pass http://b;  # keep\n        }\n    }\n}"},
		{"replace what is not there", nginx, ReplaceText(at("n", 3), "proxy_pass http://a;", "x"), ""},
		{"yaml key in place", yaml, SetYAML(at("y", 4), at("y", 3), "trust_proxy", "loopback"),
			strings.Replace(yaml, "trust_proxy: false ", "trust_proxy: loopback ", 1)},
		{"yaml new key", yaml, SetYAML(trustmodel.Pos{}, at("y", 3), "trust_proxy", "[loopback, 10.0.0.0/8]"),
			strings.Replace(yaml, "app:\n", "app:\n  trust_proxy: [loopback, 10.0.0.0/8]\n", 1)},
		{"yaml new key in a list item", list, SetYAML(trustmodel.Pos{}, at("y", 2), "trust_proxy", "true"),
			strings.Replace(list, "  - name: web\n", "  - name: web\n    trust_proxy: true\n", 1)},
		{"yaml block key removed", yaml, RemoveYAML(at("y", 6), "proxy"), strings.Replace(yaml, "    proxy: true", "    ", 1)},
		{"yaml flow key removed", list, RemoveYAML(at("y", 5), "proxy"), strings.Replace(list, ", proxy: false", "", 1)},
		{"yaml key not in the mapping", yaml, RemoveYAML(at("y", 3), "proxy"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := strings.Split(c.text, "\n")
			file := c.edit.File
			edits, ok := Resolve([]Edit{c.edit}, func(f string) (Text, bool) { return LineSlice(lines), f == file })
			if c.want == "" {
				if ok {
					t.Fatalf("resolved to %+v; want no match", edits)
				}
				return
			}
			if !ok {
				t.Fatal("did not resolve")
			}
			out, err := ApplyEdits(lines, edits)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(out, "\n"); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
