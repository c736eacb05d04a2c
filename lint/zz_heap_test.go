package lint

import (
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

func TestZZHeap(t *testing.T) {
	conf := os.Getenv("ZZ_FLEET")
	if conf == "" {
		t.Skip()
	}
	heapCheckpoint = func(stage string) {
		if stage == "part" {
			return
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%s %.1f MB", stage, float64(ms.HeapAlloc)/1e6)
		f, _ := os.Create("/work/tmp/prof/zz-" + stage + ".pb.gz")
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	if _, err := Run(Options{Inputs: []string{conf}, Format: os.Getenv("ZZ_FORMAT")}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
}
