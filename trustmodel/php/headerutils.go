package php

import "strings"

// token is one match of HeaderUtils::split's regex: a run of quoted strings
// and token characters, or a separator with the whitespace around it.
type token struct {
	text string
	sep  byte // the separator character; 0 for a run
}

func isPCRESpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// phpTrim is PHP's trim(): " \t\n\r\0\x0B" from both ends.
func phpTrim(s string) string {
	return strings.Trim(s, " \t\n\r\x00\x0b")
}

// splitTokens is preg_match_all of HeaderUtils::split's pattern (symfony/
// http-foundation 5.4.53 HeaderUtils.php) over trim($header):
//
//	(?!\s)(?:"(?:[^"\\]|\\.)*(?:"|\\|$)|[^"SEPS]+)+(?<!\s) | \s*(?<separator>[SEPS])\s*
//
// A run is as long as it can be, less its trailing whitespace; a position
// where neither alternative matches is skipped.
func splitTokens(header, seps string) []token {
	s := phpTrim(header)
	var out []token
	for p := 0; p < len(s); {
		if !isPCRESpace(s[p]) && (s[p] == '"' || strings.IndexByte(seps, s[p]) < 0) {
			e := p
			for e < len(s) {
				if s[e] == '"' {
					e = quotedEnd(s, e)
					continue
				}
				if strings.IndexByte(seps, s[e]) >= 0 {
					break
				}
				e++
			}
			for e > p && isPCRESpace(s[e-1]) {
				e--
			}
			out = append(out, token{text: s[p:e]})
			p = e
			continue
		}
		q := p
		for q < len(s) && isPCRESpace(s[q]) {
			q++
		}
		if q < len(s) && strings.IndexByte(seps, s[q]) >= 0 {
			e := q + 1
			for e < len(s) && isPCRESpace(s[e]) {
				e++
			}
			out = append(out, token{text: s[p:e], sep: s[q]})
			p = e
			continue
		}
		p++
	}
	return out
}

// quotedEnd returns where the quoted string starting at s[i] == '"' ends:
// after its closing quote, after a backslash with nothing to escape, or at
// the end of the subject ("." does not match a newline).
func quotedEnd(s string, i int) int {
	i++
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 < len(s) && s[i+1] != '\n' {
				i += 2
				continue
			}
			return i + 1
		default:
			i++
		}
	}
	return i
}

// unquote is HeaderUtils::unquote: preg_replace('/\\\\(.)|"/', '$1', $s).
func unquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] != '\n':
			b.WriteByte(s[i+1])
			i++
		case s[i] == '"':
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// forwardedParam is one parameter of a Forwarded element as
// HeaderUtils::combine gives it: a string, or PHP's true for a name without "=".
type forwardedParam struct {
	value  string
	isTrue bool
}

// forwardedElements is HeaderUtils::split($forwarded, ',;=') followed by
// HeaderUtils::combine on each element: per comma-separated element, its
// parameters by lowercased name, the last one of a name winning.
func forwardedElements(header string) []map[string]forwardedParam {
	var out []map[string]forwardedParam
	for _, element := range groupBy(splitTokens(header, ",;="), ',') {
		var params map[string]forwardedParam
		for _, part := range groupBy(element, ';') {
			name, value, hasValue := nameValue(part)
			if params == nil {
				params = map[string]forwardedParam{}
			}
			params[strings.ToLower(name)] = forwardedParam{value: value, isTrue: !hasValue}
		}
		if params != nil {
			out = append(out, params)
		}
	}
	return out
}

// groupBy is groupParts' grouping: matches between separators sep, empty
// groups dropped.
func groupBy(tokens []token, sep byte) [][]token {
	var groups [][]token
	var cur []token
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
		cur = nil
	}
	for _, t := range tokens {
		if t.sep == sep {
			flush()
			continue
		}
		cur = append(cur, t)
	}
	flush()
	return groups
}

// nameValue is groupParts at its last level ("="): the unquoted text before
// the first "=" and everything after it, later "=" included.
func nameValue(part []token) (name, value string, hasValue bool) {
	var b [2]strings.Builder
	i := 0
	for _, t := range part {
		if i == 0 && t.sep != 0 {
			i = 1
			hasValue = true
			continue
		}
		b[i].WriteString(unquote(t.text))
	}
	return b[0].String(), b[1].String(), hasValue
}
