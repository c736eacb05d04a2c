package lint

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// memoryBudget holds the process's memory to about twice its live heap
// while lint checks a configuration part by part and decodes its
// findings, as GOGC=100 holds the heap alone. Without it the collector's
// goal was met but the process kept ~30% more: spans freed by one
// collection and not yet returned to the system, and the rounding of small
// objects. A soft memory limit has the runtime return them promptly. The
// limit counts all the runtime's memory (stacks and metadata besides the
// heap), so it is 1.9 times the live heap. It follows the live heap at
// every part and as findings are decoded, so a heap that grows never meets
// a stale limit (which would have the collector run without pause). Its
// floor, 64 MiB, is where collecting more often stops paying: a
// 10,000-server fleet's lint stays under it, 10-15% faster than with
// 32 MiB, at about 70 MB RSS. A GOMEMLIMIT the user set is left as it is.
// Lints running at once in one process (tests) share the budget; the last
// to finish restores the limit.
type memoryBudget struct {
	on   bool
	live []metrics.Sample
}

// budgetFloor is the smallest limit set.
const budgetFloor = 64 << 20

var budgets struct {
	sync.Mutex
	users int
	prev  int64 // the limit before the first user set one
}

func newMemoryBudget() *memoryBudget {
	if os.Getenv("GOMEMLIMIT") != "" {
		return &memoryBudget{}
	}
	budgets.Lock()
	defer budgets.Unlock()
	if budgets.users == 0 {
		budgets.prev = debug.SetMemoryLimit(-1)
	}
	budgets.users++
	return &memoryBudget{on: true, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// follow sets the limit from the heap the last collection found live.
func (b *memoryBudget) follow() {
	if !b.on {
		return
	}
	metrics.Read(b.live)
	if b.live[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	debug.SetMemoryLimit(max(int64(b.live[0].Value.Uint64())*19/10, budgetFloor))
}

// release ends b; the last budget restores the limit the first found.
func (b *memoryBudget) release() {
	if !b.on {
		return
	}
	budgets.Lock()
	defer budgets.Unlock()
	if budgets.users--; budgets.users == 0 {
		debug.SetMemoryLimit(budgets.prev)
	}
}
