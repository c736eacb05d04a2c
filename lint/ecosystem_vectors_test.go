package lint

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEcosystemRecordedVectors replays every ecosystem's vector files under
// testdata/vectors/<eco>/: recorded.jsonl (from the real packages, at least
// 1500 per file) and modelled.jsonl (hand-checked against the source where
// the package cannot run here).
func TestEcosystemRecordedVectors(t *testing.T) {
	for _, name := range []string{"recorded.jsonl", "modelled.jsonl"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", "vectors", "*", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			f := f
			t.Run(filepath.Base(filepath.Dir(f))+"/"+name, func(t *testing.T) {
				n := replayVectors(t, f)
				if name == "recorded.jsonl" && n < 1500 {
					t.Errorf("%s has %d vectors; want at least 1500", f, n)
				}
				t.Logf("replayed %d vectors from %s", n, f)
			})
		}
	}
	if _, err := os.Stat(filepath.Join("..", "testdata", "vectors", "jvm", "recorded.jsonl")); err != nil {
		t.Error("testdata/vectors/jvm/recorded.jsonl is missing")
	}
}
