package lint

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// gowebCounts counts the vectors of a file per framework.
func gowebCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		var v struct {
			Case struct {
				Framework string `json:"framework"`
			} `json:"case"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		counts[v.Case.Framework]++
	}
	return counts
}

// TestGowebRecordedVectors replays what real gin, echo and chi apps behind
// net/http's server answered (testdata/vectors/goweb/gen).
func TestGowebRecordedVectors(t *testing.T) {
	const path = "../testdata/vectors/goweb/recorded.jsonl"
	n := replayVectors(t, path)
	counts := gowebCounts(t, path)
	for _, fw := range gowebFrameworks {
		if counts[fw] < 1500 {
			t.Errorf("%s: %d recorded vectors for %s; want at least 1500", path, counts[fw], fw)
		}
	}
	t.Logf("replayed %d recorded vectors %v", n, counts)
}

// TestGowebRecordedOlderVectors replays what the older releases whose
// behaviour differs answered (gen/go.old*.mod: gin 1.8.1, 1.10.1, 1.11.0;
// echo 4.15.4, 4.16.1, 4.16.3; chi 5.0.7, 5.0.8, 5.2.1).
func TestGowebRecordedOlderVectors(t *testing.T) {
	const path = "../testdata/vectors/goweb/recorded-older.jsonl"
	n := replayVectors(t, path)
	counts := gowebCounts(t, path)
	for _, fw := range gowebFrameworks {
		if counts[fw] < 1500 {
			t.Errorf("%s: %d recorded vectors for %s; want at least 1500", path, counts[fw], fw)
		}
	}
	t.Logf("replayed %d recorded vectors of older versions %v", n, counts)
}

// TestGowebFreshVectors replays a fresh random set from the generator
// (.ci/run makes one with a new seed through testdata/vectors/goweb/fresh.sh).
func TestGowebFreshVectors(t *testing.T) {
	path := os.Getenv("TRUSTCHECK_GOWEB_FRESH_VECTORS")
	if path == "" {
		t.Skip("TRUSTCHECK_GOWEB_FRESH_VECTORS is not set (.ci/run sets it)")
	}
	n := replayVectors(t, path)
	counts := gowebCounts(t, path)
	t.Logf("compared %d fresh vectors with the real packages %v", n, counts)
	for _, fw := range gowebFrameworks {
		if counts[fw] == 0 {
			t.Errorf("no fresh %s vectors", fw)
		}
	}
}

// gowebFrameworks are the frameworks the goweb generator records.
var gowebFrameworks = []string{"gin", "chi", "echo"}
