package lint

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/rules"
)

// TestIndexedTextMatchesSlice reads files both ways, indexed (a large
// file's lines read from disk when asked) and split in memory: the same
// lines, line breaks "\n" and "\r\n", stray "\r", lines across the blocks
// read and longer than one.
func TestIndexedTextMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 18))
	pieces := []string{"a", "server {", "\n", "\r", "\r\n", "\n\n", strings.Repeat("x", 300), strings.Repeat("y", blockSize+7)}
	texts := []string{"", "\n", "\r\n", "a", "a\n", "a\r", "a\r\r\n", "\n\n", "a\nb", strings.Repeat("ab\n", blockSize)}
	for range 40 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	dir := t.TempDir()
	defer func(n int64) { indexAbove = n }(indexAbove)
	for i, text := range texts {
		name := filepath.Join(dir, "f.conf")
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		indexAbove = 1 << 40
		whole := readText(name)
		indexAbove = -1
		indexed := readText(name)
		if _, ok := whole.(rules.LineSlice); !ok {
			t.Fatalf("text %d read whole as %T", i, whole)
		}
		if _, ok := indexed.(*indexedText); !ok {
			t.Fatalf("text %d indexed as %T", i, indexed)
		}
		if whole.Len() != indexed.Len() {
			t.Fatalf("text %d (%d bytes): %d lines indexed, %d whole", i, len(text), indexed.Len(), whole.Len())
		}
		// Backwards too: the blocks kept are not those read last.
		for _, n := range append(lineOrder(whole.Len()), lineOrderDown(whole.Len())...) {
			if got, want := indexed.Line(n), whole.Line(n); got != want {
				t.Fatalf("text %d, line %d: indexed %.40q, whole %.40q", i, n, got, want)
			}
		}
	}
}

func lineOrder(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func lineOrderDown(n int) []int {
	out := lineOrder(n)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
