package lint

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/rules) from the rule data")

// TestRuleDocs fails when docs/rules/*.md differ from the rule data, or a
// page exists for no rule.
func TestRuleDocs(t *testing.T) {
	dir := filepath.Join("..", "docs", "rules")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, r := range rules.All() {
		name := filepath.Join(dir, r.ID+".md")
		want[r.ID+".md"] = true
		page := RuleMarkdown(r)
		if *update {
			if err := os.WriteFile(name, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != page {
			t.Errorf("%s is stale or missing: run go test ./lint -run TestRuleDocs -update", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("%s documents no registered rule", filepath.Join(dir, e.Name()))
		}
	}
}
