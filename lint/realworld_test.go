package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestRealWorld lints every set of testdata/realworld — configurations
// real projects publish, with each project's real trust setting — and pins
// its findings in the set's findings.golden (-update rewrites them; the
// set README judges each). Missing includes are notes: the sets ship the
// projects' own files, not the distributions' (fastcgi_params, mime.types).
func TestRealWorld(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/realworld/*/trustcheck.yaml")
	if err != nil || len(dirs) < 15 {
		t.Fatalf("%d real-world sets (%v); want at least 15", len(dirs), err)
	}
	for _, yaml := range dirs {
		dir := filepath.Dir(yaml)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rep, err := Lint(realWorldOptions(dir, realWorldConfig(t, dir)))
			var b strings.Builder
			if err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
			} else {
				for _, f := range rep.Findings.All() {
					writeRealWorldFinding(&b, dir, f.Rule, f.Severity.String(), f.Pos, "")
					for _, c := range f.Consequences {
						writeRealWorldFinding(&b, dir, c.Rule, c.Severity.String(), c.Pos, "  then ")
					}
				}
			}
			golden := filepath.Join(dir, "findings.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./lint -run TestRealWorld -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("findings changed: judge them in testdata/realworld/README.md, then -update\n got:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}

func writeRealWorldFinding(b *strings.Builder, dir, rule, sev string, pos trustmodel.Pos, prefix string) {
	file := pos.File
	if rel, err := filepath.Rel(dir, file); err == nil && !filepath.IsAbs(file) {
		file = filepath.ToSlash(rel)
	}
	fmt.Fprintf(b, "%s%s:%d: %s %s\n", prefix, file, pos.Line, sev, rule)
}

// realWorldConfig is the nginx configuration the real-world set in dir
// names in its trustcheck.yaml (nginx.config, relative to the set).
func realWorldConfig(t *testing.T, dir string) string {
	t.Helper()
	yaml := filepath.Join(dir, "trustcheck.yaml")
	data, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := trustmodel.ParseConfig(yaml, data)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Nginx.Config == "" {
		t.Fatalf("%s names no nginx.config", yaml)
	}
	return cfg.Nginx.Config
}

// realWorldOptions lints the real-world set in dir (or a copy of it) as
// TestRealWorld does: its trustcheck.yaml, includes outside it missing.
func realWorldOptions(dir, conf string) Options {
	return Options{Inputs: []string{filepath.Join(dir, conf)}, AppFile: filepath.Join(dir, "trustcheck.yaml"), WorkDir: dir, AllowMissingIncludes: true}
}
