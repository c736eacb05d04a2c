package lint

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
)

// TestProfileFleet profiles the live heap of one lint of a tree given in the
// environment, at each stage (after loading, the part where it is largest,
// after checking, after Finish, before rendering), e.g.
//
//	go run ./scripts/fleetgen -shape inline -n 10000 -out /tmp/fleet
//	TRUSTCHECK_PROFILE_FLEET=/tmp/fleet/nginx.conf TRUSTCHECK_PROFILE_FORMAT=json \
//	TRUSTCHECK_PROFILE_DIR=/tmp/prof go test ./lint -run TestProfileFleet -v
//	go tool pprof -sample_index=inuse_space -top /tmp/prof/heap-part.pb.gz
//
// TRUSTCHECK_PROFILE_ENABLE is --enable. It prints each stage's live heap.
func TestProfileFleet(t *testing.T) {
	conf := os.Getenv("TRUSTCHECK_PROFILE_FLEET")
	if conf == "" {
		t.Skip("TRUSTCHECK_PROFILE_FLEET not set")
	}
	dir := os.Getenv("TRUSTCHECK_PROFILE_DIR")
	var partMax uint64
	parts := 0
	heapCheckpoint = func(stage string) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if stage == "part" {
			if parts++; ms.HeapAlloc <= partMax {
				return
			}
			partMax = ms.HeapAlloc // the largest part so far
		}
		t.Logf("%-8s live heap %6.1f MB (part %d)", stage, float64(ms.HeapAlloc)/1e6, parts)
		if dir == "" {
			return
		}
		f, err := os.Create(filepath.Join(dir, "heap-"+stage+".pb.gz"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { heapCheckpoint = nil }()
	o := Options{Inputs: []string{conf}, Format: os.Getenv("TRUSTCHECK_PROFILE_FORMAT")}
	if e := os.Getenv("TRUSTCHECK_PROFILE_ENABLE"); e != "" {
		o.Enable = strings.Split(e, ",")
	}
	if _, err := Run(o, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
}
