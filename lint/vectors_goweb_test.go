package lint

import (
	"testing"
)

// TestGowebRecordedOlderVectors replays what the older releases whose
// behaviour differs answered (gen/go.old*.mod: gin 1.8.1, 1.10.1, 1.11.0;
// echo 4.15.4, 4.16.1, 4.16.3; chi 5.0.7, 5.0.8, 5.2.1).
func TestGowebRecordedOlderVectors(t *testing.T) {
	const path = "../testdata/vectors/goweb/recorded-older.jsonl"
	n, counts := replayCounted(t, path)
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
	n, counts := replayFresh(t, "TRUSTCHECK_GOWEB_FRESH_VECTORS")
	t.Logf("compared %d fresh vectors with the real packages %v", n, counts)
	for _, fw := range gowebFrameworks {
		if counts[fw] == 0 {
			t.Errorf("no fresh %s vectors", fw)
		}
	}
}

// gowebFrameworks are the frameworks the goweb generator records.
var gowebFrameworks = []string{"gin", "chi", "echo"}
