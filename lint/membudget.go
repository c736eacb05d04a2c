package lint

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// memoryBudget holds the process's memory to about twice its live heap
// while lint loads a configuration, checks it part by part and decodes,
// sorts and renders its findings, as GOGC=100 holds the heap alone.
// Without it the collector's goal was met but the process kept ~30% more:
// spans freed by one collection and not yet returned to the system, and the
// rounding of small objects. A soft memory limit has the runtime return
// them promptly. The limit counts all the runtime's memory (stacks and
// metadata besides the heap), so it is 1.9 times the live heap. It follows
// the live heap after every collection, so a heap that grows never meets a
// stale limit (which would have the collector run without pause); the load
// too, where a fleet's heap grows fastest. Its floor, 64 MiB, is where
// collecting more often stops paying: a 10,000-server fleet's lint stays
// under it, 10-15% faster than with 32 MiB, at about 70 MB RSS. The limit
// is the only trigger: GOGC's goal (twice the live heap, for the heap
// alone) is turned off. With it, the 10,000-server inline-single fleet's
// lint collected 130 times, at heaps of 4 to 19 MB, instead of 22 (5-11%
// of the time on the fleets of scripts/fleetgen). A GOMEMLIMIT the user
// set is left as it is, and with it the collector; a GOGC, the goal.
// Lints running at once in one process (tests) share the budget; the last
// to finish restores both.
type memoryBudget struct {
	on       bool
	released bool // under budgets' lock
}

// budgetFloor is the smallest limit set.
const budgetFloor = 64 << 20

var budgets struct {
	sync.Mutex
	users  int
	prev   int64 // the limit before the first user set one
	prevGC int   // the GC percent before it, when the first user turned it off
	live   []metrics.Sample
}

func newMemoryBudget() *memoryBudget {
	if os.Getenv("GOMEMLIMIT") != "" {
		return &memoryBudget{}
	}
	budgets.Lock()
	if budgets.users == 0 {
		budgets.prev = debug.SetMemoryLimit(-1)
		budgets.prevGC = -1
		if os.Getenv("GOGC") == "" {
			budgets.prevGC = debug.SetGCPercent(-1)
		}
		budgets.live = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	}
	budgets.users++
	budgets.Unlock()
	b := &memoryBudget{on: true}
	b.follow()
	b.afterEachCollection()
	return b
}

// follow sets the limit from the heap the last collection found live.
func (b *memoryBudget) follow() {
	if !b.on {
		return
	}
	budgets.Lock()
	defer budgets.Unlock()
	if b.released {
		return
	}
	metrics.Read(budgets.live)
	if budgets.live[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	debug.SetMemoryLimit(max(int64(budgets.live[0].Value.Uint64())*19/10, budgetFloor))
}

// gcSentinel is an object that lives until the next collection; it holds
// a pointer so that it is never one of the runtime's combined tiny
// allocations, whose finalizers may run late.
type gcSentinel struct{ _ *int }

// afterEachCollection has follow run after every collection until b is
// released: its finalizer follows and sets the next.
func (b *memoryBudget) afterEachCollection() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		budgets.Lock()
		done := b.released
		budgets.Unlock()
		if !done {
			b.follow()
			b.afterEachCollection()
		}
	})
}

// release ends b; the last budget restores the limit the first found.
func (b *memoryBudget) release() {
	if !b.on {
		return
	}
	budgets.Lock()
	defer budgets.Unlock()
	b.released = true
	if budgets.users--; budgets.users == 0 {
		debug.SetMemoryLimit(budgets.prev)
		if budgets.prevGC >= 0 {
			debug.SetGCPercent(budgets.prevGC)
		}
	}
}
