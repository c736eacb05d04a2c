package nginxconf

import (
	"bytes"
	"strings"

	crossplane "github.com/nginxinc/nginx-go-crossplane"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// unterminatedDirective finds a directive closed by "}" instead of ";", which
// nginx refuses ("unexpected "}"") but crossplane, without its per-directive
// argument checks (off so that third-party modules load), reads as the
// directive's end and then loses the block structure.
// It returns the line of that "}".
func unterminatedDirective(data []byte) (line int, bad bool) {
	switch {
	case bytes.Contains(data, []byte(luaBlockMarker)):
		return unterminatedLexed(data)
	case !closesFollowTerminators(data):
		return unterminatedScanned(data)
	}
	return 0, false
}

// unterminatedDiag is nginx's refusal of the "}" on line.
func unterminatedDiag(name string, line int) Diagnostic {
	return Diagnostic{Pos: trustmodel.Pos{File: name, Line: line}, Message: `unexpected "}"`}
}

// closesFollowTerminators is a quick proof that no "}" ends a directive:
// every "}" byte is in a comment, or follows an unescaped ";", "{" or "}"
// across nothing but ASCII white space and comments; and nothing is a "${"
// variable, within which "}" and ";" are not tokens. A "}" token then
// always follows a token that leaves no directive open. It fails only when
// quotes, escapes or odd spaces near a "}" or a comment leave that in
// doubt, and the tokenizer decides; most files are not tokenized twice.
func closesFollowTerminators(data []byte) bool {
	if bytes.Contains(data, []byte("${")) {
		return false
	}
	for i := 0; ; i++ {
		k := bytes.IndexByte(data[i:], '}')
		if k < 0 {
			return true
		}
		i += k
		h, ok := commentOn(data, i)
		if !ok {
			return false
		}
		if h >= 0 {
			continue // commented out
		}
		j := i - 1
		for {
			for j >= 0 && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
				j-- // the lexer skips "\r" wherever it is
			}
			if j < 0 {
				break
			}
			if h, ok = commentOn(data, j+1); !ok {
				return false
			} else if h < 0 {
				break
			}
			j = h - 1
		}
		if j >= 0 && (data[j] != ';' && data[j] != '{' && data[j] != '}' || escaped(data, j)) {
			return false
		}
	}
}

// escaped reports whether a backslash escapes data[j]; the lexer skips
// any "\r" between them.
func escaped(data []byte, j int) bool {
	p := bytes.TrimRight(data[:j], "\r")
	return len(p) > 0 && p[len(p)-1] == '\\'
}

// commentOn finds the "#" that starts a comment on the line that ends
// before data[end]: -1 when there is no "#". ok is false when it cannot
// tell without tokenizing: a quote or a backslash on the line, a line
// continued by an escaped newline, or a "#" inside a word.
func commentOn(data []byte, end int) (h int, ok bool) {
	ls := bytes.LastIndexByte(data[:end], '\n') + 1
	line := data[ls:end]
	h = bytes.IndexByte(line, '#')
	if h < 0 {
		return -1, true
	}
	if bytes.ContainsAny(line, "\"'\\") {
		return 0, false
	}
	if ls > 0 && escaped(data, ls-1) {
		return 0, false
	}
	if h > 0 && strings.IndexByte(" \t;{}", line[h-1]) < 0 {
		return 0, false
	}
	return ls + h, true
}

// tokenKind is what the "}" check needs to know of a token.
type tokenKind int

const (
	tokWord tokenKind = iota
	tokQuoted
	tokComment
	tokSemicolon // ";"
	tokOpen      // "{"
	tokClose     // "}"
	tokError     // the lexer stopped; crossplane's parse reports why
)

// closeCheck follows the tokens: a "}" right after a directive's name or
// arguments means the directive was never terminated.
type closeCheck struct {
	pending, done, bad bool
	line               int
}

func (c *closeCheck) token(k tokenKind, line int) {
	if c.done {
		return
	}
	switch k {
	case tokError:
		c.done = true
	case tokWord, tokQuoted:
		c.pending = true
	case tokSemicolon, tokOpen:
		c.pending = false
	case tokClose:
		if c.pending {
			c.done, c.bad, c.line = true, true, line
		}
	}
}

// unterminatedLexed runs the check on crossplane's own tokens, with the Lua
// lexer that files with *_by_lua_block need.
func unterminatedLexed(data []byte) (int, bool) {
	var c closeCheck
	// Every token is read, so that the lexer's goroutine always finishes.
	for t := range crossplane.LexWithOptions(bytes.NewReader(data), lexOptionsFor(data)) {
		c.lexed(t)
	}
	return c.line, c.bad
}

// lexed follows one of crossplane's tokens.
func (c *closeCheck) lexed(t crossplane.NgxToken) {
	switch {
	case t.Error != nil:
		c.token(tokError, t.Line)
	case t.IsQuoted:
		c.token(tokQuoted, t.Line)
	case strings.HasPrefix(t.Value, "#"):
		c.token(tokComment, t.Line)
	case t.Value == ";":
		c.token(tokSemicolon, t.Line)
	case t.Value == "{":
		c.token(tokOpen, t.Line)
	case t.Value == "}":
		c.token(tokClose, t.Line)
	default:
		c.token(tokWord, t.Line)
	}
}

// unterminatedScanned is unterminatedLexed without a second crossplane
// lexing pass over every file: its check on lexReplica's tokens, which
// FuzzUnterminatedScanned holds equal to the lexed check.
func unterminatedScanned(data []byte) (int, bool) {
	x := newLexReplica(0)
	x.feed(data, true)
	x.finish()
	return x.check.line, x.check.bad
}
