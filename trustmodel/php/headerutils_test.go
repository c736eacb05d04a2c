package php

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestHeaderUtilsRecorded replays HeaderUtils::split + combine as Symfony 5.4
// ran them on random Forwarded-like texts (testdata/vectors/php/headerutils.php).
func TestHeaderUtilsRecorded(t *testing.T) {
	f, err := os.Open("../../testdata/vectors/php/headerutils.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		var v struct {
			Header   string            `json:"header"`
			Elements []json.RawMessage `json:"elements"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		n++
		var want []map[string]any
		for _, e := range v.Elements {
			m := map[string]any{}
			_ = json.Unmarshal(e, &m) // PHP writes an empty array as []
			want = append(want, m)
		}
		var got []map[string]any
		for _, el := range forwardedElements(v.Header) {
			m := map[string]any{}
			for k, p := range el {
				if p.isTrue {
					m[k] = true
				} else {
					m[k] = p.value
				}
			}
			got = append(got, m)
		}
		if !reflect.DeepEqual(got, want) {
			if bad++; bad <= 20 {
				t.Errorf("%q: got %v, want %v", v.Header, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d disagree with HeaderUtils", bad, n)
	}
}
