package lint

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
)

// fileLines gives rules.ResolveEdits the lines of the files findings' edits
// name: from disk, or for a file split from an nginx -T dump, the dump from
// that file's first line on. Standard input is not kept, so its edits are
// dropped. It is safe for concurrent use: the workers resolving a report's
// edits share it.
func fileLines(ng *nginxconf.Config) rules.Lines {
	type part struct {
		dump string
		at   int
	}
	dumped := map[string]part{}
	for _, f := range ng.Files {
		if f.DumpPath != "" {
			dumped[f.Path] = part{f.DumpPath, f.DumpLine}
		}
	}
	// The last few files read: findings come sorted by file, and their
	// edits name their own file or a few others (trustcheck.yaml, an
	// included list), so a fleet's files are not all held at once. Each
	// is read once, by the first worker to ask for it.
	type read struct {
		name  string
		once  sync.Once
		lines rules.Text
	}
	var mu sync.Mutex
	var recent []*read
	readFile := func(name string) (rules.Text, bool) {
		mu.Lock()
		i := slices.IndexFunc(recent, func(r *read) bool { return r.name == name })
		var r *read
		if i >= 0 {
			r = recent[i]
		} else {
			r = &read{name: name}
			if len(recent) == 16 {
				recent = recent[1:]
			}
			recent = append(recent, r)
		}
		mu.Unlock()
		r.once.Do(func() { r.lines = readText(name) })
		return r.lines, r.lines != nil
	}
	return func(file string) (rules.Text, bool) {
		if file == "" || file == "<stdin>" {
			return nil, false
		}
		if d, ok := dumped[file]; ok {
			ls, ok := readFile(d.dump)
			if !ok || d.at > ls.Len() {
				return nil, false
			}
			return linesFrom{ls, d.at}, true
		}
		return readFile(file)
	}
}

// indexAbove is the size above which a file's lines are read from disk as
// they are asked for, not held (a one-file fleet of 100,000 servers is
// 108 MiB); a variable so that tests index small files.
var indexAbove int64 = 4 << 20

// readText reads a file's lines: "\r\n" ends a line as "\n" does, and a
// last line break ends the last line; nil when it cannot be read.
func readText(name string) rules.Text {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	if st.Size() > indexAbove {
		t, err := indexText(name, f)
		if err != nil {
			return nil
		}
		return t
	}
	// One read of the size stat gives: a fleet has a file per server, and
	// reading to the end costs a read more per file.
	data := make([]byte, st.Size())
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil
	}
	data = data[:n]
	return rules.LineSlice(strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n"))
}

// linesFrom is a Text from the line after at of another on.
type linesFrom struct {
	rules.Text
	at int
}

func (l linesFrom) Len() int          { return l.Text.Len() - l.at }
func (l linesFrom) Line(n int) string { return l.Text.Line(l.at + n) }

// indexedText is a large file's Text: it holds where every eighth line
// starts, and reads a line from disk when asked, a block of the file at a
// time (the few blocks read last are kept: edits come in line order).
type indexedText struct {
	name   string
	size   int64
	lines  int
	starts []int64 // line 8k+1 starts at starts[k]

	mu     sync.Mutex
	blocks [4]textBlock
	next   int // the block to read over next
}

type textBlock struct {
	at   int64 // -1 when empty
	data []byte
}

const (
	indexEvery = 8
	blockSize  = 64 << 10
)

func indexText(name string, r io.Reader) (*indexedText, error) {
	t := &indexedText{name: name, starts: []int64{0}}
	buf := make([]byte, 1<<20)
	var last byte
	n := 1 // the line being read
	for {
		k, err := io.ReadFull(r, buf)
		for i, b := 0, buf[:k]; ; {
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			if n++; (n-1)%indexEvery == 0 {
				t.starts = append(t.starts, t.size+int64(i))
			}
		}
		if k > 0 {
			last = buf[k-1]
		}
		t.size += int64(k)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	t.lines = n
	if last == '\n' {
		t.lines-- // no line after the last line break
	}
	for i := range t.blocks {
		t.blocks[i].at = -1
	}
	return t, nil
}

func (t *indexedText) Len() int { return t.lines }

// Line reads line n; "" when the file can no longer be read as indexed.
func (t *indexedText) Line(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.starts[(n-1)/indexEvery]
	var line []byte
	for skip := (n - 1) % indexEvery; ; {
		b := t.from(at)
		if len(b) == 0 {
			return string(line) // the last line, without a line break
		}
		i := bytes.IndexByte(b, '\n')
		switch {
		case i < 0:
			if skip == 0 {
				line = append(line, b...)
			}
			at += int64(len(b))
		case skip > 0:
			skip--
			at += int64(i + 1)
		default:
			line = append(line, b[:i]...)
			return string(bytes.TrimSuffix(line, []byte("\r")))
		}
	}
}

// from returns the file's bytes from at to the end of at's block.
func (t *indexedText) from(at int64) []byte {
	if at >= t.size {
		return nil
	}
	start := at - at%blockSize
	for _, b := range t.blocks {
		if b.at == start {
			return b.data[at-start:]
		}
	}
	b := &t.blocks[t.next]
	t.next = (t.next + 1) % len(t.blocks)
	b.at = -1
	f, err := os.Open(t.name)
	if err != nil {
		return nil
	}
	defer f.Close()
	if b.data == nil {
		b.data = make([]byte, blockSize)
	}
	k, err := f.ReadAt(b.data[:blockSize], start)
	if err != nil && err != io.EOF {
		return nil
	}
	b.at, b.data = start, b.data[:k]
	if at-start >= int64(k) {
		return nil
	}
	return b.data[at-start:]
}
