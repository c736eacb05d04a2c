package rules

import (
	"slices"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestPositionSet: distinct positions in first-added order, below and past
// the length at which the set keeps a map.
func TestPositionSet(t *testing.T) {
	var ps positionSet
	var want []trustmodel.Pos
	for i := range 3 * positionSetMap {
		p := trustmodel.Pos{File: "a.conf", Line: i}
		ps.add(p)
		ps.add(p)
		if i > 0 {
			ps.add(trustmodel.Pos{File: "a.conf", Line: i - 1})
		}
		want = append(want, p)
		if !slices.Equal(ps.list, want) {
			t.Fatalf("after %d positions: %v, want %v", i+1, ps.list, want)
		}
	}
}
