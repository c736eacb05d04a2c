package lint

import (
	"os"
	"path/filepath"
	"testing"
)

// recordedFrameworks are the frameworks each ecosystem records from the
// real packages (ASP.NET Core cannot run here: dotnet has modelled vectors only).
var recordedFrameworks = map[string][]string{
	"goweb": {"gin", "echo", "chi"}, "jvm": {"spring-boot"}, "php": {"symfony", "laravel"},
	"python": {"flask", "django", "fastapi"}, "ruby": {"rails"},
}

// TestEcosystemRecordedVectors replays every ecosystem's vector files under
// testdata/vectors/<eco>/: recorded.jsonl (from the real packages, at least
// 1500 per framework) and modelled.jsonl (hand-checked against the source
// where the package cannot run here).
func TestEcosystemRecordedVectors(t *testing.T) {
	for _, name := range []string{"recorded.jsonl", "modelled.jsonl"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", "vectors", "*", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			f := f
			t.Run(filepath.Base(filepath.Dir(f))+"/"+name, func(t *testing.T) {
				n, counts := replayCounted(t, f)
				for _, fw := range recordedFrameworks[filepath.Base(filepath.Dir(f))] {
					if name == "recorded.jsonl" && counts[fw] < 1500 {
						t.Errorf("%s has %d %s vectors; want at least 1500", f, counts[fw], fw)
					}
				}
				t.Logf("replayed %d vectors from %s %v", n, f, counts)
			})
		}
	}
	if _, err := os.Stat(filepath.Join("..", "testdata", "vectors", "jvm", "recorded.jsonl")); err != nil {
		t.Error("testdata/vectors/jvm/recorded.jsonl is missing")
	}
}
