// Package vectortest replays recorded truth vectors (JSON lines) in tests.
package vectortest

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// maxReported is how many disagreements a replay prints before it only counts.
const maxReported = 20

// Lines decodes each line of the JSON-lines file at path into a T and
// passes it to check with its line number; check returns "" when the model
// agrees with the recording, else what differs. The test fails naming the
// first disagreements and their count. Lines returns the lines read.
func Lines[T any](t testing.TB, path string, check func(line int, v T) string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20) // a recorded header can be long
	n, bad := 0, 0
	for sc.Scan() {
		n++
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if diff := check(n, v); diff != "" {
			if bad++; bad <= maxReported {
				t.Errorf("%s:%d: %s", path, n, diff)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d lines disagree with the recording", path, bad, n)
	}
	return n
}
