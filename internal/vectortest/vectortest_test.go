package vectortest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder keeps what a replay reports instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestLinesReportsEachDisagreementByLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.jsonl")
	if err := os.WriteFile(path, []byte("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	n := Lines(r, path, func(line int, v struct{ N int }) string {
		if v.N != line || v.N == 2 {
			return fmt.Sprintf("n=%d", v.N)
		}
		return ""
	})
	want := []string{path + ":2: n=2", path + ": 1 of 3 lines disagree with the recording"}
	if n != 3 || strings.Join(r.errors, "\n") != strings.Join(want, "\n") {
		t.Errorf("read %d lines, reported %q; want 3 and %q", n, r.errors, want)
	}
}
