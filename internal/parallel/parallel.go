// Package parallel runs independent pieces of work on every CPU.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Do calls work(i) for every i in [0, n), GOMAXPROCS calls at a time, and
// returns when all have returned. Results belong in slots indexed by i, so
// the caller can combine them in order. A panic in work is raised again on
// the caller's goroutine, where its recover (Load's, say) can see it.
func Do(n int, work func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed any
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					failed = r
					mu.Unlock()
				}
			}()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				work(i)
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		panic(failed)
	}
}
