package rules

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"sync"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// findingLog keeps a rule's findings encoded until Finish: a fleet's rules
// report hundreds of thousands, and as values (a Finding, its edits and
// related positions, each text a string of its own) they were most of what
// lint held while it checked. The texts a rule repeats (messages, fixes,
// file names, edit lines) are stored once in strs and named by index; the
// texts made for one place (path, attack), which differ by little more
// than a server's name, are stored inline and deflated in chunks. The
// bytes hold no pointers, so the collector never scans them.
type findingLog struct {
	buf    []byte   // the findings since the last chunk
	chunks [][]byte // the findings before, deflated, about logChunk bytes each
	n      int
	strs   []string
	index  map[string]uint64
}

// logChunk is how many bytes of findings a log deflates at a time.
const logChunk = 64 << 10

// deflaters are shared by the logs: a rule's log is written by one
// goroutine at a time, but a pass has dozens.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// seal deflates buf into a chunk.
func (l *findingLog) seal() {
	var out bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	w.Reset(&out)
	w.Write(l.buf) // a bytes.Buffer does not fail
	w.Close()
	deflaters.Put(w)
	l.chunks = append(l.chunks, bytes.Clone(out.Bytes()))
	l.buf = l.buf[:0]
}

func (l *findingLog) uint(v uint64) { l.buf = binary.AppendUvarint(l.buf, v) }

func (l *findingLog) int(v int) { l.buf = binary.AppendVarint(l.buf, int64(v)) }

func (l *findingLog) bool(v bool) {
	if v {
		l.uint(1)
	} else {
		l.uint(0)
	}
}

// shared stores s once and writes its index.
func (l *findingLog) shared(s string) {
	i, ok := l.index[s]
	if !ok {
		if l.index == nil {
			l.index = map[string]uint64{}
		}
		i = uint64(len(l.strs))
		l.index[s] = i
		l.strs = append(l.strs, s)
	}
	l.uint(i)
}

// inline writes s itself.
func (l *findingLog) inline(s string) {
	l.uint(uint64(len(s)))
	l.buf = append(l.buf, s...)
}

func (l *findingLog) pos(p trustmodel.Pos) {
	l.shared(p.File)
	l.int(p.Line)
}

// count writes a slice's length, or that it is nil.
func (l *findingLog) count(isNil bool, n int) {
	if isNil {
		l.uint(0)
	} else {
		l.uint(uint64(n) + 1)
	}
}

// add appends f.
func (l *findingLog) add(f *Finding) {
	l.n++
	l.finding(f)
	if len(l.buf) >= logChunk {
		l.seal()
	}
}

func (l *findingLog) finding(f *Finding) {
	l.shared(f.Rule)
	l.int(int(f.Severity))
	l.pos(f.Pos)
	l.shared(f.Directive)
	l.shared(f.Message)
	l.inline(f.Path)
	l.inline(f.Attack)
	l.bool(f.Honest)
	l.shared(f.Fix.Message)
	l.count(f.Fix.Edits == nil, len(f.Fix.Edits))
	for i := range f.Fix.Edits {
		e := &f.Fix.Edits[i]
		l.shared(e.File)
		l.int(e.Line)
		l.int(e.Column)
		l.shared(e.Old)
		l.shared(e.New)
		l.bool(e.inside)
		l.bool(e.before)
		l.shared(e.yamlKey)
		l.int(e.at)
		l.bool(e.yamlDelete)
		l.bool(e.unresolved)
	}
	l.count(f.Related == nil, len(f.Related))
	for _, p := range f.Related {
		l.pos(p)
	}
	l.pos(f.CausedBy)
	l.count(f.Consequences == nil, len(f.Consequences))
	for i := range f.Consequences {
		l.finding(&f.Consequences[i])
	}
	l.shared(f.App)
}

// all yields the findings in the order added.
func (l *findingLog) all() iter.Seq[Finding] {
	return func(yield func(Finding) bool) {
		n := 0
		var inflater io.ReadCloser
		var inflated bytes.Buffer
		for i := 0; i <= len(l.chunks); i++ {
			data := l.buf
			if i < len(l.chunks) {
				if inflater == nil {
					inflater = flate.NewReader(bytes.NewReader(l.chunks[i]))
				} else {
					inflater.(flate.Resetter).Reset(bytes.NewReader(l.chunks[i]), nil)
				}
				inflated.Reset()
				if _, err := inflated.ReadFrom(inflater); err != nil {
					panic("rules: finding log corrupt: " + err.Error())
				}
				data = inflated.Bytes()
			}
			r := logReader{log: l, data: data}
			for r.at < len(data) {
				n++
				if !yield(r.finding()) {
					return
				}
			}
		}
		if n != l.n {
			panic(fmt.Sprintf("rules: finding log of %d findings read as %d", l.n, n))
		}
	}
}

// logReader decodes the findings of one chunk of a findingLog.
type logReader struct {
	log  *findingLog
	data []byte
	at   int
}

func (r *logReader) uint() uint64 {
	v, n := binary.Uvarint(r.data[r.at:])
	if n <= 0 {
		panic("rules: finding log corrupt")
	}
	r.at += n
	return v
}

func (r *logReader) int() int {
	v, n := binary.Varint(r.data[r.at:])
	if n <= 0 {
		panic("rules: finding log corrupt")
	}
	r.at += n
	return int(v)
}

func (r *logReader) bool() bool { return r.uint() == 1 }

func (r *logReader) shared() string { return r.log.strs[r.uint()] }

func (r *logReader) inline() string {
	n := int(r.uint())
	s := string(r.data[r.at : r.at+n])
	r.at += n
	return s
}

func (r *logReader) pos() trustmodel.Pos {
	file := r.shared()
	return trustmodel.Pos{File: file, Line: r.int()}
}

// count reads a slice's length and makes it (nil when it was).
func count[T any](r *logReader) []T {
	if n := r.uint(); n > 0 {
		return make([]T, n-1)
	}
	return nil
}

func (r *logReader) finding() Finding {
	var f Finding
	f.Rule = r.shared()
	f.Severity = Severity(r.int())
	f.Pos = r.pos()
	f.Directive = r.shared()
	f.Message = r.shared()
	f.Path = r.inline()
	f.Attack = r.inline()
	f.Honest = r.bool()
	f.Fix.Message = r.shared()
	f.Fix.Edits = count[Edit](r)
	for i := range f.Fix.Edits {
		e := &f.Fix.Edits[i]
		e.File = r.shared()
		e.Line = r.int()
		e.Column = r.int()
		e.Old = r.shared()
		e.New = r.shared()
		e.inside = r.bool()
		e.before = r.bool()
		e.yamlKey = r.shared()
		e.at = r.int()
		e.yamlDelete = r.bool()
		e.unresolved = r.bool()
	}
	f.Related = count[trustmodel.Pos](r)
	for i := range f.Related {
		f.Related[i] = r.pos()
	}
	f.CausedBy = r.pos()
	f.Consequences = count[Finding](r)
	for i := range f.Consequences {
		f.Consequences[i] = r.finding()
	}
	f.App = r.shared()
	return f
}

// FindingLog is findings kept encoded and read in the order added, as the
// rules keep theirs until Finish: lint keeps a report's so, which the
// formatters read one at a time.
type FindingLog struct {
	log findingLog
	max Severity
}

// Add appends f.
func (l *FindingLog) Add(f *Finding) {
	l.log.add(f)
	l.max = max(l.max, f.Severity)
}

// Len is how many findings there are.
func (l *FindingLog) Len() int { return l.log.n }

// MaxSeverity is the highest severity of the findings (0 with none).
func (l *FindingLog) MaxSeverity() Severity { return l.max }

// All yields the findings in the order added.
func (l *FindingLog) All() iter.Seq[Finding] { return l.log.all() }

// FindingTable is findings kept encoded, not deflated, and read in any
// order: lint's while it merges, folds and sorts a fleet's. Each finding
// is written into one of a list of blocks, so that the table never copies
// what it holds to grow.
type FindingTable struct {
	log    findingLog // its buf is the finding being added
	blocks [][]byte
	at     []tableAt
}

type tableAt struct{ block, offset int32 }

// tableBlock is the size of a FindingTable's blocks.
const tableBlock = 1 << 20

// Add appends f and returns its index.
func (t *FindingTable) Add(f *Finding) int {
	t.log.buf = t.log.buf[:0]
	t.log.finding(f)
	n := len(t.blocks)
	if n == 0 || cap(t.blocks[n-1])-len(t.blocks[n-1]) < len(t.log.buf) {
		t.blocks = append(t.blocks, make([]byte, 0, max(tableBlock, len(t.log.buf))))
		n++
	}
	b := &t.blocks[n-1]
	t.at = append(t.at, tableAt{int32(n - 1), int32(len(*b))})
	*b = append(*b, t.log.buf...)
	t.log.n++
	return len(t.at) - 1
}

// At is the finding of index i.
func (t *FindingTable) At(i int) Finding {
	a := t.at[i]
	r := logReader{log: &t.log, data: t.blocks[a.block], at: int(a.offset)}
	return r.finding()
}
