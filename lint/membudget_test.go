package lint

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestMemoryBudgetRestoresLimit: lints that overlap set limits that follow
// the live heap, and the last to finish puts back the limit found.
func TestMemoryBudgetRestoresLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: lint leaves the limit alone")
	}
	before := debug.SetMemoryLimit(-1)
	a, b := newMemoryBudget(), newMemoryBudget()
	a.follow()
	if got := debug.SetMemoryLimit(-1); got == math.MaxInt64 || got < budgetFloor {
		t.Fatalf("limit while checking: %d", got)
	}
	a.release()
	b.follow()
	if got := debug.SetMemoryLimit(-1); got == before {
		t.Fatalf("the first lint to finish restored the limit while another runs")
	}
	b.release()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit after both: %d, before: %d", got, before)
	}
}

// TestMemoryBudgetTurnsGOGCOff: while a lint runs the limit alone starts
// collections; GOGC's percent is back after, and left alone when set.
func TestMemoryBudgetTurnsGOGCOff(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: lint leaves the collector alone")
	}
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	b := newMemoryBudget()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GC percent while checking: %d, want off", got)
	}
	b.release()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after: %d, want 100", got)
	}
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	b = newMemoryBudget()
	got := debug.SetGCPercent(50)
	b.release()
	if got != 50 {
		t.Errorf("GC percent while checking with GOGC=50: %d", got)
	}
}

func TestMemoryBudgetLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	before := debug.SetMemoryLimit(-1)
	b := newMemoryBudget()
	b.follow()
	b.release()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit changed to %d with GOMEMLIMIT set", got)
	}
}

// TestMemoryBudgetFollowsCollections: after a collection the limit is
// about twice the live heap, without a call to follow (the load grows the
// heap without one).
func TestMemoryBudgetFollowsCollections(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: lint leaves the limit alone")
	}
	b := newMemoryBudget()
	defer b.release()
	live := make([]byte, 100<<20)
	// The limit follows from the finalizer goroutine, after the collection.
	for deadline := time.Now().Add(30 * time.Second); debug.SetMemoryLimit(-1) < 180<<20; {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MiB with 100 MiB live", debug.SetMemoryLimit(-1)>>20)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
}
