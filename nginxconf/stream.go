package nginxconf

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"

	crossplane "github.com/nginxinc/nginx-go-crossplane"

	"github.com/trustcheck/trustcheck/internal/parallel"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// parseStream is parseFile for a file on disk, read as it is lexed and
// never held whole. A first read learns what parseFile learns of the whole
// text before it lexes (binary bytes at its head, Lua blocks, words of
// map-like blocks, its last line, and, from lexReplica, the "}" check as
// unterminatedScanned makes it, whether it lexes cleanly and where it can
// be cut); the second feeds crossplane's tokens to the chunked parse,
// segment by segment on every CPU when it can be cut, and, for a file with
// a Lua block, to the "}" check (unterminatedLexed's). A file that may have
// a map-like block is read by crossplane.Parse instead, as parseFile does.
// err is a read error.
// FuzzParseStream holds it equal to parseFile.
func parseStream(name string, f io.ReaderAt, each func([]*Directive) []*Directive) (dirs []*Directive, comments []Comment, diags []Diagnostic, err error) {
	defer func() {
		if r := recover(); r != nil {
			dirs, comments = []*Directive{}, nil
			diags = []Diagnostic{panicDiagAt(name, f, r)}
		}
	}()
	scan, err := scanText(io.NewSectionReader(f, 0, maxStreamedSize+1))
	if err != nil {
		return nil, nil, nil, err
	}
	if !scan.text {
		return []*Directive{}, nil, []Diagnostic{{Pos: trustmodel.Pos{File: name}, Message: "not a text file"}}, nil
	}
	if scan.unterminated > 0 {
		return []*Directive{}, nil, []Diagnostic{unterminatedDiag(name, scan.unterminated)}, nil
	}
	if len(scan.cuts) > 0 && !scan.mapLike {
		return parseSegments(name, f, scan, each)
	}
	opts := lexOptions(scan.lua)
	var p *chunkParser
	if !scan.mapLike {
		p = newChunkParser(name, scan.lastLine, chunkTokens, int(scan.size), each)
	}
	if p != nil || scan.lua {
		var closes closeCheck
		text := &wholeRead{r: io.NewSectionReader(f, 0, scan.size)}
		lexed := crossplane.LexWithOptions(bufio.NewReaderSize(text, 64<<10), opts)
		defer drain(lexed)
		lexErr := false
		for t := range lexed {
			if scan.lua {
				closes.lexed(t)
			}
			lexErr = lexErr || t.Error != nil
			if p != nil {
				p.add(t)
			}
		}
		if err := text.check(scan.size, lexErr); err != nil {
			return nil, nil, nil, err
		}
		if closes.bad {
			return []*Directive{}, nil, []Diagnostic{unterminatedDiag(name, closes.line)}, nil
		}
	}
	if scan.mapLike {
		text := &wholeRead{r: io.NewSectionReader(f, 0, scan.size)}
		parsed, diags := crossplaneParseFrom(name, bufio.NewReaderSize(text, 64<<10), opts, scan.lastLine)
		if err := text.check(scan.size, len(diags) > 0); err != nil {
			return nil, nil, nil, err
		}
		dirs = convert(name, parsed)
		if each != nil {
			dirs = each(dirs)
		}
		return dirs, collectComments(name, parsed, nil), diags, nil
	}
	dirs, comments, diags = p.result()
	return dirs, comments, diags, nil
}

// parseSegments is parseStream's lexing and parse of a file whose scan
// found cuts: the segments between them are lexed and parsed on every CPU,
// each as a file of its own whose lines start after the lines before it.
// The scan has found that the lexer reads the whole file without an error
// and that the "}" check passes it, so the file's result is its segments'
// directives and comments, in order, or the first segment's diagnostic.
func parseSegments(name string, f io.ReaderAt, scan textScan, each func([]*Directive) []*Directive) ([]*Directive, []Comment, []Diagnostic, error) {
	type segment struct {
		dirs     []*Directive
		comments []Comment
		diags    []Diagnostic
		err      error
	}
	segs := make([]segment, len(scan.cuts)+1)
	parallel.Do(len(segs), func(i int) {
		start, end, lines := int64(0), scan.size, 0
		if i > 0 {
			start, lines = scan.cuts[i-1].offset, scan.cuts[i-1].lines
		}
		if i < len(scan.cuts) {
			end = scan.cuts[i].offset
		}
		p := newChunkParser(name, scan.lastLine, chunkTokens, int(end-start), each)
		p.lineBase = lines
		text := &wholeRead{r: io.NewSectionReader(f, start, end-start)}
		lexed := crossplane.LexWithOptions(bufio.NewReaderSize(text, 64<<10), lexOptions(false))
		defer drain(lexed)
		for t := range lexed {
			p.add(t)
		}
		s := &segs[i]
		s.err = text.check(end-start, false)
		s.dirs, s.comments, s.diags = p.result()
	})
	var dirs []*Directive
	var comments []Comment
	for _, s := range segs {
		switch {
		case s.err != nil:
			return nil, nil, nil, s.err
		case s.diags != nil:
			return []*Directive{}, nil, s.diags, nil
		}
		dirs = append(dirs, s.dirs...)
		comments = append(comments, s.comments...)
	}
	return dirs, comments, nil, nil
}

// wholeRead follows a read of a file: crossplane's lexer takes a read
// error for the end of the file. The lexer's goroutine reads on after
// crossplane.Parse has returned at an error, so its count is locked.
type wholeRead struct {
	r   io.Reader
	mu  sync.Mutex
	n   int64
	err error
}

func (w *wholeRead) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += int64(n)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

// check reports a read that failed, or that ended before size bytes when
// nothing stopped the reader before the end (stopped: a lexing error).
func (w *wholeRead) check(size int64, stopped bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.err != nil:
		return w.err
	case w.n < size && !stopped:
		return errors.New("the file changed while it was read")
	}
	return nil
}

// textScan is what parseFile learns of a file's text before it lexes it.
type textScan struct {
	size     int64
	text     bool // no NUL byte at its head (isText)
	lua      bool // a *_by_lua_block (lexOptionsFor)
	mapLike  bool // a word of a map-like block (mayHaveMapBody)
	lastLine int  // 1 + its line breaks
	// cuts are where the text can be lexed in segments, about
	// segmentBytes apart; none when it has a Lua block, or does not lex
	// cleanly (lexReplica.clean).
	cuts []lexCut
	// unterminated is the line of a "}" that ends a directive (the "}"
	// check on lexReplica's tokens); 0 when none, or when the file has a
	// Lua block, which lexReplica does not lex as crossplane does.
	unterminated int
}

// segmentBytes is about the size of the segments a streamed file is lexed
// and parsed in at once; a var for tests.
var segmentBytes int64 = 1 << 20

// scanText reads r to its end, a megabyte at a time.
func scanText(r io.Reader) (textScan, error) {
	s := textScan{lastLine: 1}
	lua := seamSearch{words: [][]byte{[]byte(luaBlockMarker)}}
	maps := seamSearch{words: mapLikeNames}
	lexed := newLexReplica(segmentBytes)
	buf := make([]byte, 1<<20)
	for first := true; ; first = false {
		n, err := io.ReadFull(r, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return textScan{}, err
		}
		read := buf[:n]
		if first {
			s.text = isText(read)
		}
		s.size += int64(n)
		s.lastLine += bytes.Count(read, []byte("\n"))
		lua.write(read)
		lexed.feed(read, err != nil)
		maps.write(withoutCR(read)) // the lexer drops "\r" even inside a word
		if err != nil {
			s.lua, s.mapLike = lua.found, maps.found
			lexed.finish()
			switch {
			case s.lua:
			case lexed.check.bad:
				s.unterminated = lexed.check.line
			case lexed.clean():
				s.cuts = lexed.cuts
			}
			return s, nil
		}
	}
}

// withoutCR removes the "\r" bytes of b, in place.
func withoutCR(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := b[:0]
	for _, c := range b {
		if c != '\r' {
			out = append(out, c)
		}
	}
	return out
}

// seamSearch looks for words in a text written to it in pieces, across
// the seams between them too.
type seamSearch struct {
	words [][]byte
	tail  []byte // the last bytes written, fewer than the longest word's
	found bool
}

func (s *seamSearch) write(p []byte) {
	if s.found {
		return
	}
	keep := 0
	for _, w := range s.words {
		keep = max(keep, len(w)-1)
	}
	seam := append(s.tail, p[:min(len(p), keep)]...)
	for _, w := range s.words {
		if bytes.Contains(p, w) || bytes.Contains(seam, w) {
			s.found = true
			return
		}
	}
	if len(p) >= keep {
		s.tail = append(s.tail[:0], p[len(p)-keep:]...)
	} else {
		s.tail = append(s.tail[:0], seam[max(0, len(seam)-keep):]...)
	}
}

// panicDiagAt is panicDiag for a file read from f.
func panicDiagAt(name string, f io.ReaderAt, r any) Diagnostic {
	loc := emptyIfRE.FindReaderIndex(bufio.NewReader(io.NewSectionReader(f, 0, maxStreamedSize+1)))
	if loc == nil {
		return parserFailed(name, r)
	}
	lines := 1
	text := bufio.NewReader(io.NewSectionReader(f, 0, int64(loc[0])))
	for {
		b, err := text.ReadSlice('\n')
		lines += bytes.Count(b, []byte("\n"))
		if err != bufio.ErrBufferFull && err != nil {
			return emptyIfDiag(name, lines)
		}
	}
}
