package nginxconf

import (
	"strings"

	crossplane "github.com/nginxinc/nginx-go-crossplane"
)

// luaBlockLexer reads the body of an ngx_http_lua *_by_lua_block directive
// the way lua-nginx-module does (ngx_http_lua_conf_lua_block_parse): Lua
// strings, long brackets and comments may hold braces. crossplane's own Lua
// lexer only knows quotes, so a "{" in a Lua comment breaks it.
type luaBlockLexer struct{}

var luaBlockDirectives = []string{
	"init_by_lua_block", "init_worker_by_lua_block", "exit_worker_by_lua_block",
	"set_by_lua_block", "content_by_lua_block", "server_rewrite_by_lua_block",
	"rewrite_by_lua_block", "access_by_lua_block", "header_filter_by_lua_block",
	"body_filter_by_lua_block", "log_by_lua_block", "balancer_by_lua_block",
	"ssl_client_hello_by_lua_block", "ssl_certificate_by_lua_block",
	"ssl_session_fetch_by_lua_block", "ssl_session_store_by_lua_block",
	"ssl_sess_store_by_lua_block", "ssl_sess_fetch_by_lua_block",
}

var luaLexer = crossplane.LexWithLexer(luaBlockLexer{}, luaBlockDirectives...)

// runeReader gives the lexer one rune of lookahead over crossplane's scanner.
type runeReader struct {
	s    *crossplane.SubScanner
	back []string
}

func (r *runeReader) next() (string, bool) {
	if n := len(r.back); n > 0 {
		c := r.back[n-1]
		r.back = r.back[:n-1]
		return c, true
	}
	if !r.s.Scan() {
		return "", false
	}
	return r.s.Text(), true
}

func (r *runeReader) unread(c string) { r.back = append(r.back, c) }

func (luaBlockLexer) Lex(s *crossplane.SubScanner, matched string) <-chan crossplane.NgxToken {
	ch := make(chan crossplane.NgxToken)
	go func() {
		defer close(ch)
		r := &runeReader{s: s}
		fail := func(what string) {
			line := s.Line()
			ch <- crossplane.NgxToken{Error: &crossplane.ParseError{What: what, Line: &line}}
		}
		c, ok := r.next()
		for ok && isSpaceRune(c) {
			c, ok = r.next()
		}
		if matched == "set_by_lua_block" {
			var arg strings.Builder
			for ok && !isSpaceRune(c) && c != "{" {
				arg.WriteString(c)
				c, ok = r.next()
			}
			if arg.Len() == 0 {
				fail(`invalid number of arguments in "set_by_lua_block" directive`)
				return
			}
			ch <- crossplane.NgxToken{Value: arg.String(), Line: s.Line()}
			for ok && isSpaceRune(c) {
				c, ok = r.next()
			}
		}
		if !ok || c != "{" {
			fail(`expected "{" to start the Lua block`)
			return
		}
		var tok strings.Builder
		depth := 1
		for {
			c, ok = r.next()
			if !ok {
				fail(`unexpected end of file in a Lua block, expecting "}"`)
				return
			}
			switch {
			case c == "{":
				depth++
			case c == "}":
				depth--
				if depth == 0 {
					ch <- crossplane.NgxToken{Value: tok.String(), Line: s.Line(), IsQuoted: true}
					ch <- crossplane.NgxToken{Value: ";", Line: s.Line()}
					return
				}
			case c == `"` || c == "'":
				tok.WriteString(c)
				if !luaQuoted(r, &tok, c) {
					fail("unterminated Lua string")
					return
				}
				continue
			case c == "-":
				n, ok2 := r.next()
				if ok2 && n == "-" {
					tok.WriteString("--")
					if !luaComment(r, &tok) {
						fail("unterminated Lua comment")
						return
					}
					continue
				}
				if ok2 {
					r.unread(n)
				}
			case c == "[":
				if level, ok2 := luaLongOpen(r, &tok); ok2 {
					if !luaLongBody(r, &tok, level) {
						fail("unterminated Lua long string")
						return
					}
					continue
				}
			}
			tok.WriteString(c)
		}
	}()
	return ch
}

func isSpaceRune(c string) bool { return c == " " || c == "\t" || c == "\n" || c == "\r" }

// luaQuoted copies a quoted string up to its closing quote.
func luaQuoted(r *runeReader, tok *strings.Builder, q string) bool {
	for {
		c, ok := r.next()
		if !ok {
			return false
		}
		tok.WriteString(c)
		switch c {
		case `\`:
			n, ok := r.next()
			if !ok {
				return false
			}
			tok.WriteString(n)
		case q:
			return true
		case "\n":
			return false
		}
	}
}

// luaComment copies a comment after "--": a long comment or to end of line.
func luaComment(r *runeReader, tok *strings.Builder) bool {
	c, ok := r.next()
	if !ok {
		return true
	}
	if c == "[" {
		if level, ok := luaLongOpen(r, tok); ok {
			return luaLongBody(r, tok, level)
		}
		tok.WriteString(c)
	} else {
		r.unread(c)
	}
	for {
		c, ok := r.next()
		if !ok {
			return true
		}
		tok.WriteString(c)
		if c == "\n" {
			return true
		}
	}
}

// luaLongOpen reads "[" ("=")* "[" after a "[" was consumed; it writes what
// it read and returns the level, or puts back what it read.
func luaLongOpen(r *runeReader, tok *strings.Builder) (int, bool) {
	var read []string
	level := 0
	for {
		c, ok := r.next()
		if !ok {
			break
		}
		read = append(read, c)
		if c == "=" {
			level++
			continue
		}
		if c == "[" {
			tok.WriteString("[")
			for _, x := range read {
				tok.WriteString(x)
			}
			return level, true
		}
		break
	}
	for i := len(read) - 1; i >= 0; i-- {
		r.unread(read[i])
	}
	return 0, false
}

// luaLongBody copies up to and including "]" ("=")*level "]".
func luaLongBody(r *runeReader, tok *strings.Builder, level int) bool {
	for {
		c, ok := r.next()
		if !ok {
			return false
		}
		tok.WriteString(c)
		if c != "]" {
			continue
		}
		n := 0
		for {
			c, ok = r.next()
			if !ok {
				return false
			}
			if c == "=" {
				tok.WriteString(c)
				n++
				continue
			}
			if c == "]" && n == level {
				tok.WriteString(c)
				return true
			}
			r.unread(c)
			break
		}
	}
}
