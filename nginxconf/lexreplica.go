package nginxconf

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lexReplica is crossplane's tokenizer (lex.go, v0.4.89, no external
// lexers) re-implemented state for state, rune by rune, over a text fed
// to it in pieces. It keeps of each token only what the "}" check needs
// (check), and, when cutEvery is set, where the text can be cut so that
// the lexer, started afresh at the cut, gives the tokens the whole text's
// lexing gives from there, their lines less the lines before the cut
// (cuts). FuzzUnterminatedScanned holds its check equal to the one on
// crossplane's tokens; FuzzParseStream its cuts.
type lexReplica struct {
	check                closeCheck
	state                lexState
	tokenLine, startLine int
	newToken, dupSpecial bool
	esc                  bool // a backslash waits for the next character
	stopped              bool // the lexer stopped at an error
	depth                int
	tokLen               int   // bytes in the token so far
	last                 byte  // the token's last byte
	quote                rune  // the quote character of inQuote
	read                 int64 // bytes fed so far
	// carry is a rune's first bytes, separated from the rest by the end
	// of a piece: bufio.ScanRunes waits for the rest.
	carry  [utf8.UTFMax]byte
	nCarry int

	cutter   chunkCutter // the parser's reading of the tokens, for the cuts
	cutEvery int64       // the least distance between cuts; 0: none
	nextCut  int64
	cuts     []lexCut
}

// lexCut is a place where a text can be lexed apart: the offset of the
// first byte of a directive's name at the top level, after the end of the
// directive before it, and the lines before it.
type lexCut struct {
	offset int64
	lines  int
}

type lexState int

const (
	skipSpace lexState = iota
	inWord
	inComment
	inVar
	inQuote
)

func newLexReplica(cutEvery int64) *lexReplica {
	return &lexReplica{tokenLine: 1, startLine: 1, cutEvery: cutEvery, nextCut: cutEvery}
}

// feed lexes the next piece of the text; atEOF: it is the last.
func (x *lexReplica) feed(p []byte, atEOF bool) {
	base := x.read - int64(x.nCarry) // the offset of the first byte, carry included
	x.read += int64(len(p))
	i := 0 // where p's own runes start
	if x.nCarry > 0 {
		joined := append(x.carry[:x.nCarry:x.nCarry], p[:min(len(p), utf8.UTFMax)]...)
		j := 0
		for j < x.nCarry {
			n, ok := x.next(joined[j:], base+int64(j), atEOF)
			if !ok {
				x.nCarry = copy(x.carry[:], joined[j:])
				return
			}
			j += n
		}
		i = j - x.nCarry
		base += int64(x.nCarry)
		x.nCarry = 0
	}
	for i < len(p) {
		if c := p[i]; c < utf8.RuneSelf && !x.esc && !x.stopped && x.plain(c) {
			i++
			continue
		}
		n, ok := x.next(p[i:], base+int64(i), atEOF)
		if !ok {
			x.nCarry = copy(x.carry[:], p[i:])
			return
		}
		i += n
	}
}

// next lexes the rune b starts with, at offset at, and returns its size;
// false when b holds only the rune's first bytes and more are to come.
func (x *lexReplica) next(b []byte, at int64, atEOF bool) (int, bool) {
	if b[0] < utf8.RuneSelf {
		x.rune(rune(b[0]), at)
		return 1, true
	}
	if !atEOF && !utf8.FullRune(b) {
		return 0, false
	}
	r, size := utf8.DecodeRune(b)
	x.rune(r, at)
	return size, true
}

// plain takes an ASCII byte, not after a backslash, that changes no more
// than the token's length and last byte, or the line: most of a text, read
// here without rune's branches.
func (x *lexReplica) plain(c byte) bool {
	switch x.state {
	case skipSpace:
		switch c {
		case '\n':
			x.tokenLine++
			return true
		case ' ', '\t', '\r', '\v', '\f':
			return true
		}
	case inWord:
		if !x.newToken && wordByte[c] {
			x.tokLen++
			x.last = c
			x.dupSpecial = false
			return true
		}
	case inQuote:
		if c != byte(x.quote) && c != '\\' && c != '\n' && c != '\r' {
			x.tokLen++
			x.last = c
			return true
		}
	}
	return false
}

// wordByte marks the ASCII bytes a word takes as they are: not white
// space, a brace, ";", a quote or a backslash.
var wordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = !unicode.IsSpace(rune(c)) && !strings.ContainsRune("{};\"'\\", rune(c))
	}
	return t
}()

// finish is the lexer at the end of the text.
func (x *lexReplica) finish() {
	if x.stopped || x.tokLen == 0 {
		return
	}
	switch x.state {
	case inQuote:
		x.check.token(tokQuoted, x.startLine)
	case inComment:
		x.check.token(tokComment, x.startLine)
	default:
		x.check.token(tokWord, x.startLine)
	}
}

// clean reports, after finish, a text the lexer reads to its end without
// an error, every block closed, and whose every "}" the check accepts: the
// text whose cuts hold.
func (x *lexReplica) clean() bool {
	return !x.stopped && x.depth == 0 && !x.check.bad
}

// rune is the lexer's loop for one character, at offset at.
func (x *lexReplica) rune(r rune, at int64) {
	if x.stopped {
		return
	}
	if r == '\n' {
		x.tokenLine++
	}
	if r == '\r' {
		return // skipped wherever it is, even after a backslash
	}
	if r == '\\' && !x.esc {
		x.esc = true
		return
	}
	escaped := x.esc // r came after a backslash
	x.esc = false
	space := !escaped && unicode.IsSpace(r)
	if x.state == skipSpace {
		if space {
			return
		}
		x.state, x.newToken, x.startLine = inWord, true, x.tokenLine
		if x.cutEvery > 0 && at >= x.nextCut && x.depth == 0 && x.cutter == (chunkCutter{}) && !escaped && isASCIILetter(r) {
			// The lexer's state here is its state at the start of a text
			// but for dupSpecial, which a letter clears, and the line; the
			// parser's is too, as chunkCutter follows it.
			x.cuts = append(x.cuts, lexCut{offset: at, lines: x.tokenLine - 1})
			x.nextCut = at + x.cutEvery
		}
	}
	is := func(ch rune) bool { return !escaped && r == ch }
	switch x.state {
	case inWord:
		if x.newToken {
			x.newToken = false
			if is('#') {
				x.write(r, escaped)
				x.state = inComment
				x.startLine = x.tokenLine
				return
			}
		}
		if space {
			x.emit(tokWord)
			return
		}
		if x.tokLen > 0 && x.last == '$' && is('{') {
			x.write(r, escaped)
			x.state = inVar
			x.dupSpecial = false
			return
		}
		if is('"') || is('\'') {
			if x.tokLen > 0 {
				x.write(r, escaped)
			} else {
				x.quote = r
				x.state = inQuote
				x.startLine = x.tokenLine
			}
			x.dupSpecial = false
			return
		}
		if is('{') || is('}') || is(';') {
			if x.tokLen > 0 {
				x.emit(tokWord)
			}
			if x.dupSpecial && !is('}') {
				x.stop()
				return
			}
			x.dupSpecial = true
			kind := tokSemicolon
			switch {
			case is('{'):
				x.depth++
				kind = tokOpen
			case is('}'):
				if x.depth--; x.depth < 0 {
					x.stop()
					return
				}
				kind = tokClose
			}
			x.emit(kind)
			return
		}
		x.dupSpecial = false
		x.write(r, escaped)
	case inComment:
		if r == '\n' {
			x.emit(tokComment)
			return
		}
		x.write(r, escaped)
	case inVar:
		x.write(r, escaped)
		if x.last != '}' && !space {
			return
		}
		x.state = inWord
	case inQuote:
		if is(x.quote) {
			x.emit(tokQuoted)
			return
		}
		if escaped && r == x.quote {
			escaped = false // the escape is dropped from the token
		}
		x.write(r, escaped)
	}
}

func (x *lexReplica) emit(k tokenKind) {
	x.check.token(k, x.startLine)
	x.cutter.ends(kindTokens[k])
	x.tokLen = 0
	x.state = skipSpace
}

// stop is the lexer's error token, after which it reads no more.
func (x *lexReplica) stop() {
	x.emit(tokError)
	x.stopped = true
}

func (x *lexReplica) write(r rune, escaped bool) {
	if escaped {
		x.tokLen++ // the backslash
	}
	x.tokLen += utf8.RuneLen(r)
	x.last = lastByte(r)
}

// kindTokens are tokens of each kind as chunkCutter reads them.
var kindTokens = [...]token{
	tokWord:      {Value: "w"},
	tokQuoted:    {Value: ";", IsQuoted: true},
	tokComment:   {Value: "#"},
	tokSemicolon: {Value: ";"},
	tokOpen:      {Value: "{"},
	tokClose:     {Value: "}"},
	tokError:     {IsError: true},
}

func isASCIILetter(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
}

// lastByte is the last byte of r's UTF-8 encoding (U+FFFD for invalid input,
// as bufio.ScanRunes reports it).
func lastByte(r rune) byte {
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	return b[n-1]
}
