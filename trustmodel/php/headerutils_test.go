package php

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/trustcheck/trustcheck/internal/vectortest"
)

// TestHeaderUtilsRecorded replays HeaderUtils::split + combine as Symfony 5.4
// ran them on random Forwarded-like texts (testdata/vectors/php/headerutils.php).
func TestHeaderUtilsRecorded(t *testing.T) {
	type vector struct {
		Header   string            `json:"header"`
		Elements []json.RawMessage `json:"elements"`
	}
	vectortest.Lines(t, "../../testdata/vectors/php/headerutils.jsonl", func(_ int, v vector) string {
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
			return fmt.Sprintf("%q: got %v, HeaderUtils %v", v.Header, got, want)
		}
		return ""
	})
}
