package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// vector is one line of testdata/vectors: a case and what the real npm
// packages computed for it.
type vector struct {
	Case json.RawMessage `json:"case"`
	Want json.RawMessage `json:"want"`
}

// replayVectors evaluates every vector in path and reports each mismatch.
func replayVectors(t *testing.T, path string) int {
	t.Helper()
	n, _ := replayCounted(t, path)
	return n
}

// replayCounted is replayVectors that also counts the vectors per framework.
func replayCounted(t *testing.T, path string) (int, map[string]int) {
	t.Helper()
	perFramework := map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	n, bad := 0, 0
	for line := 1; sc.Scan(); line++ {
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		var c SimCase
		dec := json.NewDecoder(bytes.NewReader(v.Case))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s:%d: case: %v", path, line, err)
		}
		app, err := c.App()
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		out, _, _ := Simulate(app, c.Request())
		gotJSON, _ := json.Marshal(out)
		var got, want any
		_ = json.Unmarshal(gotJSON, &got)
		if err := json.Unmarshal(v.Want, &want); err != nil {
			t.Fatalf("%s:%d: want: %v", path, line, err)
		}
		n++
		perFramework[c.Framework]++
		if !reflect.DeepEqual(got, want) {
			bad++
			if bad <= 25 {
				t.Errorf("%s:%d: mismatch\n case: %s\n want: %s\n  got: %s", path, line, v.Case, v.Want, gotJSON)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d of %d vectors disagree with the real packages", bad, n)
	}
	return n, perFramework
}

func TestRecordedVectors(t *testing.T) {
	n := replayVectors(t, "../testdata/vectors/recorded.jsonl")
	if n < 5000 {
		t.Errorf("recorded.jsonl has %d vectors; want at least 5000", n)
	}
	t.Logf("replayed %d recorded vectors", n)
}

// TestFreshVectors replays a freshly generated random set (.ci/run makes one
// with a new seed) so the suite keeps looking for new disagreements.
func TestFreshVectors(t *testing.T) {
	n, _ := replayFresh(t, "TRUSTCHECK_FRESH_VECTORS")
	t.Logf("compared %d fresh vectors with the real packages", n)
}

// replayFresh replays the fresh random vectors of the file the environment
// variable env names (.ci/run sets it; the test is skipped without it),
// per framework; a file without vectors fails.
func replayFresh(t *testing.T, env string) (int, map[string]int) {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		t.Skip(env + " is not set (.ci/run sets it)")
	}
	n, counts := replayCounted(t, path)
	if n == 0 {
		t.Error("no fresh vectors to compare")
	}
	return n, counts
}

// TestRequestIPVectors replays what the npm package request-ip computes
// (node gen.js --request-ip).
func TestRequestIPVectors(t *testing.T) {
	n := replayVectors(t, "../testdata/vectors/request-ip.jsonl")
	if n < 2000 {
		t.Errorf("request-ip.jsonl has %d vectors; want at least 2000", n)
	}
	t.Logf("replayed %d request-ip vectors", n)
}
