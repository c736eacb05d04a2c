package lint

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
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
