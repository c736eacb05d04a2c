package nginxconf

import (
	"bytes"
	"errors"
	"strings"
	"unicode"

	crossplane "github.com/nginxinc/nginx-go-crossplane"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// tokenParser builds a file's tree from crossplane's tokens exactly as
// crossplane.Parse does with parseBytes' options (parser.parse in parse.go,
// v0.4.89: no directive or argument checks, comments kept, one file), but
// into Directives directly: crossplane's own tree was a sixth of what
// loading a fleet allocated, only to be converted and dropped. The tokens are
// walked twice: the first pass checks them and counts what the second
// carves from the converter's arrays. FuzzTokenParserMatchesCrossplane
// holds the two parsers equal.
//
// crossplane reads the bodies of map-like blocks (map, geo, types, ...) as
// parameters and checks them with tables of its own; files that may have
// one are left to crossplane.Parse (mayHaveMapBody).
type tokenParser struct {
	name  string
	toks  []token
	errs  map[int]crossplane.NgxToken // the error tokens, by index in toks
	i     int
	build bool // the second pass
	c     converter
	text  strings.Builder // the first pass writes names and arguments here
	// sizes are the blocks' directive counts in the order they open: the
	// first pass records them, the second carves each block's list by them.
	sizes    []int
	nextSize int
	comments []Comment
	scratch  []string // a directive's arguments while it is counted or carved
	lastLine int      // the file's last line, as nginx counts: 1 + its line breaks
}

// token is what tokenParser keeps of a crossplane token: half its size,
// the error (rare) kept aside.
type token struct {
	Value    string
	Line     int32 // a file has at most 256 MiB
	IsQuoted bool
	IsError  bool
}

// chunkTokens is how many tokens parseChunks gathers before it parses
// them, at the next end of a top-level directive: a file of thousands of
// servers is lexed and parsed a few dozen servers at a time, not held as
// one array of tokens and one tree; a file of fewer tokens is parsed whole.
const chunkTokens = 4096

// parseChunks lexes data with crossplane's lexer and parses the tokens
// with parseTokens, at least chunk tokens at a time, each group ending
// where a top-level directive ends (chunkCutter): the directives,
// comments and diagnostic are those parseTokens gives for all the tokens
// at once. each, when set, replaces each group's directives.
func parseChunks(name string, data []byte, chunk int, each func([]*Directive) []*Directive) (dirs []*Directive, comments []Comment, diags []Diagnostic) {
	p := newChunkParser(name, 1+bytes.Count(data, []byte("\n")), chunk, len(data), each)
	lexed := crossplane.LexWithOptions(bytes.NewReader(data), lexOptionsFor(data))
	defer drain(lexed)
	for t := range lexed {
		p.add(t)
	}
	return p.result()
}

// drain reads the lexer's tokens to the end, so that its goroutine
// finishes whatever stopped the reading.
func drain(lexed chan crossplane.NgxToken) {
	for range lexed {
	}
}

// chunkParser is parseChunks taking the tokens one at a time.
type chunkParser struct {
	name     string
	lastLine int
	chunk    int
	each     func([]*Directive) []*Directive
	toks     []token
	errs     map[int]crossplane.NgxToken
	cut      chunkCutter
	parsed   int
	dirs     []*Directive
	comments []Comment
	diags    []Diagnostic // once set, the file's only result
	lineBase int          // lines before the text lexed (a segment's)
}

// newChunkParser sizes the token buffer for a file of size bytes.
func newChunkParser(name string, lastLine, chunk, size int, each func([]*Directive) []*Directive) *chunkParser {
	n := size/8 + 16
	if chunk < n/2 {
		n = 2 * chunk
	}
	return &chunkParser{name: name, lastLine: lastLine, chunk: chunk, each: each, toks: make([]token, 0, n)}
}

func (p *chunkParser) add(t crossplane.NgxToken) {
	if p.diags != nil {
		return
	}
	if t.Error != nil {
		if p.errs == nil {
			p.errs = map[int]crossplane.NgxToken{}
		}
		p.errs[len(p.toks)] = t
	}
	tok := token{Value: t.Value, Line: int32(t.Line + p.lineBase), IsQuoted: t.IsQuoted, IsError: t.Error != nil}
	p.toks = append(p.toks, tok)
	if p.cut.ends(tok) && len(p.toks) >= p.chunk {
		p.parse()
	}
}

// parse parses the tokens gathered.
func (p *chunkParser) parse() {
	d, c, dg := parseTokens(p.name, p.toks, p.errs, p.lastLine)
	if dg != nil {
		p.diags = dg
		return
	}
	if p.each != nil {
		d = p.each(d)
	}
	if p.parsed++; p.parsed == 1 {
		p.dirs = d
	} else {
		p.dirs = append(p.dirs, d...)
	}
	p.comments = append(p.comments, c...)
	p.toks, p.errs = p.toks[:0], nil
}

// result parses the tokens left; a file with a diagnostic has no
// directives and no comments.
func (p *chunkParser) result() ([]*Directive, []Comment, []Diagnostic) {
	if p.diags == nil && (len(p.toks) > 0 || p.parsed == 0) {
		p.parse()
	}
	if p.diags != nil {
		return []*Directive{}, nil, p.diags
	}
	return p.dirs, p.comments, nil
}

// chunkCutter follows tokenParser's reading of the tokens: ends reports
// that a token ends a top-level directive, where parsing the tokens so far
// and the rest apart gives what parsing them together does. After an error
// token or a "}" at the top level (where tokenParser stops reading), no
// token ends one.
type chunkCutter struct {
	depth   int  // blocks open
	inArgs  bool // a directive's name has been read, not its terminator
	stopped bool
}

func (c *chunkCutter) ends(t token) bool {
	if t.IsError {
		c.stopped = true
	}
	if c.stopped {
		return false
	}
	bare := !t.IsQuoted
	if !c.inArgs {
		switch {
		case isCommentToken(t):
			return false
		case bare && t.Value == "}":
			if c.depth == 0 {
				c.stopped = true
				return false
			}
			c.depth--
			return c.depth == 0
		}
		c.inArgs = true // the directive's name
		return false
	}
	switch {
	case bare && t.Value == "{":
		c.depth++
		c.inArgs = false
	case bare && (t.Value == ";" || t.Value == "}"):
		c.inArgs = false
		return c.depth == 0
	}
	return false
}

// parseTokens parses name's tokens; a file crossplane rejects has no
// directives and no comments, only the one diagnostic.
func parseTokens(name string, toks []token, errs map[int]crossplane.NgxToken, lastLine int) ([]*Directive, []Comment, []Diagnostic) {
	p := &tokenParser{name: name, toks: toks, errs: errs, lastLine: lastLine}
	size := 0
	for _, t := range toks {
		if !isCommentToken(t) && (t.IsQuoted || t.Value != "{" && t.Value != ";" && t.Value != "}") {
			size += len(t.Value)
		}
	}
	p.text.Grow(size)
	if _, d := p.block(); d != nil {
		return []*Directive{}, nil, []Diagnostic{*d}
	}
	p.c.dirs = make([]Directive, p.c.nDirs)
	p.c.blocks = make([]*Directive, p.c.nDirs)
	p.c.args = make([]string, p.c.nArgs)
	p.c.text = p.text.String()
	p.i, p.build = 0, true
	dirs, _ := p.block()
	return dirs, p.comments, nil
}

func (p *tokenParser) next() (token, bool) {
	if p.i == len(p.toks) {
		return token{}, false
	}
	p.i++
	return p.toks[p.i-1], true
}

func isCommentToken(t token) bool {
	return !t.IsQuoted && strings.HasPrefix(t.Value, "#")
}

// block parses directives up to an unquoted "}" or the end of the tokens.
func (p *tokenParser) block() ([]*Directive, *Diagnostic) {
	var out []*Directive
	slot := len(p.sizes)
	if p.build {
		n := p.sizes[p.nextSize]
		p.nextSize++
		out = p.c.blocks[:0:n]
		p.c.blocks = p.c.blocks[n:]
	} else {
		p.sizes = append(p.sizes, 0)
	}
	for {
		t, ok := p.next()
		if !ok {
			break
		}
		if t.IsError {
			d := p.lexError(p.errs[p.i-1])
			return nil, &d
		}
		if t.Value == "}" && !t.IsQuoted {
			break
		}
		if isCommentToken(t) {
			if p.build {
				p.comments = append(p.comments, Comment{Pos: trustmodel.Pos{File: p.name, Line: int(t.Line)}, Text: t.Value[1:]})
			}
			continue
		}
		name, line := t.Value, int(t.Line)
		start := p.i
		for {
			if t, ok = p.next(); !ok {
				// nginx's wording, at the end of the file
				d := Diagnostic{Pos: trustmodel.Pos{File: p.name, Line: p.lastLine}, Message: `unexpected end of file, expecting ";" or "}"`}
				return nil, &d
			}
			if !t.IsQuoted && (t.Value == "{" || t.Value == ";" || t.Value == "}") {
				break
			}
		}
		argToks := p.toks[start : p.i-1]
		d := p.directive(name, line, argToks)
		if p.build {
			d.endLine = t.Line
		}
		if t.Value == "{" {
			block, bad := p.block()
			if bad != nil {
				return nil, bad
			}
			if p.build {
				d.HasBlock = true
				d.Block = block
				d.includes = blockIncludes(block)
			}
		}
		if p.build {
			out = append(out, d)
			for _, a := range argToks {
				if isCommentToken(a) {
					p.comments = append(p.comments, Comment{Pos: trustmodel.Pos{File: p.name, Line: line}, Text: a.Value[1:]})
				}
			}
		} else {
			p.sizes[slot]++
		}
	}
	return out, nil
}

// directive counts (first pass) or carves (second) one directive; its
// block is the caller's.
func (p *tokenParser) directive(name string, line int, argToks []token) *Directive {
	args := p.scratch[:0]
	for _, a := range argToks {
		if !isCommentToken(a) {
			args = append(args, a.Value)
		}
	}
	p.scratch = args
	bare := false
	if name == "if" {
		bare = len(args) > 0 && (!strings.HasPrefix(args[0], "(") || !strings.HasSuffix(args[len(args)-1], ")"))
		args = ifArgs(args)
		bare = bare || len(args) == 0 && len(p.scratch) > 0
	}
	if !p.build {
		p.c.nDirs++
		p.c.nArgs += len(args)
		p.text.WriteString(name)
		for _, a := range args {
			p.text.WriteString(a)
		}
		return nil
	}
	d := &p.c.dirs[0]
	p.c.dirs = p.c.dirs[1:]
	carved := p.c.args[:len(args):len(args)]
	p.c.args = p.c.args[len(args):]
	*d = Directive{Name: p.c.take(len(name)), Args: carved, Pos: trustmodel.Pos{File: p.name, Line: line}, bareCondition: bare}
	for i, a := range args {
		carved[i] = p.c.take(len(a))
	}
	return d
}

// lexError is the diagnostic crossplane.Parse makes of an error token.
func (p *tokenParser) lexError(t crossplane.NgxToken) Diagnostic {
	var perr *crossplane.ParseError
	if errors.As(t.Error, &perr) {
		line := 0
		if perr.Line != nil {
			line = *perr.Line
		}
		return Diagnostic{Pos: trustmodel.Pos{File: p.name, Line: line}, Message: perr.What}
	}
	return Diagnostic{Pos: trustmodel.Pos{File: p.name, Line: t.Line}, Message: t.Error.Error()}
}

// ifArgs strips the parentheses of an if's condition as crossplane's
// prepareIfArgs does (util.go, v0.4.89), panic on "if ()" included.
func ifArgs(args []string) []string {
	b, e := 0, len(args)-1
	if len(args) > 0 && strings.HasPrefix(args[0], "(") && strings.HasSuffix(args[e], ")") {
		args[0] = strings.TrimLeftFunc(strings.TrimPrefix(args[0], "("), unicode.IsSpace)
		args[e] = strings.TrimRightFunc(strings.TrimSuffix(args[e], ")"), unicode.IsSpace)
		if len(args[0]) == 0 {
			b++
		}
		if len(args[e]) == 0 {
			e--
		}
		args = args[b : e+1]
	}
	return args
}

// mapLikeNames are, as substrings, the names of the blocks whose bodies
// crossplane.Parse reads as parameters (mapBodies in analyze_map.go,
// v0.4.89: charset_map, geo, geoip2, map, match, otel_exporter,
// split_clients, types).
var mapLikeNames = [][]byte{[]byte("geo"), []byte("map"), []byte("match"), []byte("otel_exporter"), []byte("split_clients"), []byte("types")}

// mayHaveMapBody reports whether a token of data could name a map-like
// block; the lexer drops "\r" even inside a word.
func mayHaveMapBody(data []byte) bool {
	if bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte("\r"), nil)
	}
	for _, n := range mapLikeNames {
		if bytes.Contains(data, n) {
			return true
		}
	}
	return false
}
