package parallel

import (
	"sync/atomic"
	"testing"
)

func TestDoCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000} {
		seen := make([]atomic.Int32, n)
		Do(n, func(i int) { seen[i].Add(1) })
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n=%d: work(%d) called %d times", n, i, c)
			}
		}
	}
}

func TestDoRaisesAPanicOnTheCaller(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
		}
	}()
	Do(10, func(i int) {
		if i == 7 {
			panic("boom")
		}
	})
	t.Fatal("Do returned after a panic")
}
