package jvm

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// javaPattern is a java.util.regex.Pattern as RemoteIpValve uses it:
// Pattern.compile(s).matcher(text).matches(), a match of the whole text.
// It is translated to an anchored RE2 expression; the Java constructs RE2
// has no equivalent of (backreferences, lookaround, possessive quantifiers,
// atomic groups, nested classes, intersections) are refused by name rather
// than approximated.
type javaPattern struct {
	source string
	re     *regexp.Regexp
}

func (p *javaPattern) matches(s string) bool { return p != nil && p.re.MatchString(s) }

// javaSyntaxError is Pattern.compile's PatternSyntaxException, written as
// the first line of its getMessage(): "Unclosed group near index 1".
type javaSyntaxError struct {
	desc  string
	index int
}

func (e *javaSyntaxError) Error() string { return fmt.Sprintf("%s near index %d", e.desc, e.index) }

// unsupportedRegexError is a valid Java regex that RE2 cannot express.
type unsupportedRegexError struct{ what string }

func (e *unsupportedRegexError) Error() string {
	return "trustcheck cannot model Java regex " + e.what
}

// posixClasses are Java's \p{...} POSIX classes, US-ASCII only (Pattern's
// default without UNICODE_CHARACTER_CLASS).
var posixClasses = map[string]string{
	"Lower": `a-z`, "Upper": `A-Z`, "ASCII": `\x00-\x7F`, "Alpha": `a-zA-Z`, "Digit": `0-9`,
	"Alnum": `a-zA-Z0-9`, "Punct": `!-/:-@\[-` + "`" + `{-~`, "Graph": `!-~`, "Print": ` -~`,
	"Blank": ` \t`, "Cntrl": `\x00-\x1F\x7F`, "XDigit": `0-9a-fA-F`, "Space": ` \t\n\x0B\f\r`,
}

// compileJava compiles a Java regular expression for whole-string matching.
func compileJava(src string) (*javaPattern, error) {
	t := &javaTranslator{src: []rune(src)}
	body, err := t.translate()
	if err != nil {
		return nil, err
	}
	if strings.Contains(body, "(?i") && strings.IndexFunc(body, func(r rune) bool { return r > 0x7F }) >= 0 {
		// Java's CASE_INSENSITIVE folds US-ASCII only; RE2's (?i) folds
		// every letter, so the two differ exactly on non-ASCII letters.
		return nil, &unsupportedRegexError{fmt.Sprintf("%q (case-insensitive matching of non-ASCII characters)", src)}
	}
	re, err := regexp.Compile(`^(?:` + body + `)$`)
	if err != nil {
		// RE2 refuses what Java accepts only for limits (repeat counts over 1000).
		return nil, &unsupportedRegexError{fmt.Sprintf("%q (%v)", src, err)}
	}
	return &javaPattern{source: src, re: re}, nil
}

type javaTranslator struct {
	src   []rune
	i     int
	out   strings.Builder
	names map[string]bool // named groups so far
}

const javaDot = `[^\n\r\x{85}\x{2028}\x{2029}]`

func (t *javaTranslator) translate() (string, error) {
	depth := 0
	canQuantify := false // something precedes that a quantifier may apply to
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch c {
		case '\\':
			s, err := t.escape(false)
			if err != nil {
				return "", err
			}
			t.out.WriteString(s)
			canQuantify = s != ""
			continue
		case '[':
			s, err := t.class()
			if err != nil {
				return "", err
			}
			t.out.WriteString(s)
			canQuantify = true
			continue
		case '(':
			opens, err := t.group()
			if err != nil {
				return "", err
			}
			if opens {
				depth++
			}
			canQuantify = false
			continue
		case ')':
			if depth == 0 {
				return "", &javaSyntaxError{"Unmatched closing ')'", t.i - 1}
			}
			depth--
			t.out.WriteByte(')')
			canQuantify = true
		case '|':
			t.out.WriteByte('|')
			canQuantify = false
		case '*', '+', '?', '{':
			if !canQuantify {
				if c == '{' {
					return "", &javaSyntaxError{"Illegal repetition", t.i + 1}
				}
				return "", &javaSyntaxError{fmt.Sprintf("Dangling meta character '%c'", c), t.i}
			}
			if err := t.quantifier(); err != nil {
				return "", err
			}
			canQuantify = false
			continue
		case '.':
			t.out.WriteString(javaDot)
			canQuantify = true
		case '^', '$':
			t.out.WriteRune(c)
			canQuantify = false
		default:
			t.out.WriteString(regexp.QuoteMeta(string(c)))
			canQuantify = true
		}
		t.i++
	}
	if depth > 0 {
		return "", &javaSyntaxError{"Unclosed group", len(t.src)}
	}
	return t.out.String(), nil
}

// quantifier copies *, +, ?, {n}, {n,}, {n,m} with a lazy ? suffix; a
// possessive + suffix is refused except on a fixed count, where it changes
// nothing.
func (t *javaTranslator) quantifier() error {
	start := t.i
	fixed := false
	if t.src[t.i] == '{' {
		j := t.i + 1
		num := func() (int, bool) {
			k := j
			for j < len(t.src) && t.src[j] >= '0' && t.src[j] <= '9' {
				j++
			}
			if k == j {
				return 0, false
			}
			n, err := strconv.Atoi(string(t.src[k:j]))
			return n, err == nil
		}
		lo, ok := num()
		if !ok {
			return &javaSyntaxError{"Illegal repetition", t.i + 1}
		}
		hi := lo
		fixed = true
		if j < len(t.src) && t.src[j] == ',' {
			fixed = false
			j++
			if j < len(t.src) && t.src[j] != '}' {
				if hi, ok = num(); !ok {
					return &javaSyntaxError{"Unclosed counted closure", j}
				}
				if hi < lo {
					return &javaSyntaxError{"Illegal repetition range", j}
				}
			}
		}
		if j >= len(t.src) || t.src[j] != '}' {
			return &javaSyntaxError{"Unclosed counted closure", j}
		}
		t.i = j + 1
	} else {
		t.i++
	}
	t.out.WriteString(string(t.src[start:t.i]))
	if t.i < len(t.src) {
		switch t.src[t.i] {
		case '?':
			t.out.WriteByte('?')
			t.i++
		case '+':
			if !fixed {
				return &unsupportedRegexError{"possessive quantifier in " + strconv.Quote(string(t.src))}
			}
			t.i++
		}
	}
	if t.i < len(t.src) && strings.ContainsRune("*+?{", t.src[t.i]) {
		if t.src[t.i] == '{' {
			return &javaSyntaxError{"Illegal repetition", t.i + 1}
		}
		return &javaSyntaxError{fmt.Sprintf("Dangling meta character '%c'", t.src[t.i]), t.i}
	}
	return nil
}

// group copies an opening parenthesis: plain, (?:, (?<name>, and the inline
// flags i and m; lookaround and atomic groups are refused.
func (t *javaTranslator) group() (opens bool, err error) {
	rest := string(t.src[t.i:])
	switch {
	case !strings.HasPrefix(rest, "(?"):
		t.out.WriteByte('(')
		t.i++
		return true, nil
	case strings.HasPrefix(rest, "(?:"):
		t.out.WriteString("(?:")
		t.i += 3
		return true, nil
	case strings.HasPrefix(rest, "(?<") && !strings.HasPrefix(rest, "(?<=") && !strings.HasPrefix(rest, "(?<!"):
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return false, &javaSyntaxError{"named capturing group is missing trailing '>'", len(t.src)}
		}
		name := rest[3:end]
		if t.names[name] {
			return false, &javaSyntaxError{"Named capturing group <" + name + "> is already defined", t.i + len([]rune(rest[:end]))}
		}
		if t.names == nil {
			t.names = map[string]bool{}
		}
		t.names[name] = true
		t.out.WriteString("(?P<" + name + ">")
		t.i += len([]rune(rest[:end+1]))
		return true, nil
	}
	// Inline flags: (?i) (?i:...) (?-i) ... Java's flags beyond i and m
	// (s, x, u, d, U) change meanings RE2 cannot follow here.
	j := 2
	for j < len(rest) && strings.IndexByte("im-", rest[j]) >= 0 {
		j++
	}
	if j < len(rest) && (rest[j] == ')' || rest[j] == ':') && j > 2 {
		// (?i) sets flags to the end of the enclosing group in both Java
		// and RE2; (?i:...) opens a group.
		t.out.WriteString(rest[:j+1])
		t.i += j + 1
		return rest[j] == ':', nil
	}
	return false, &unsupportedRegexError{"group construct in " + strconv.Quote(string(t.src))}
}

// escape translates one backslash sequence, outside or inside a class.
func (t *javaTranslator) escape(inClass bool) (string, error) {
	start := t.i
	t.i++
	if t.i >= len(t.src) {
		return "", &javaSyntaxError{"Unexpected internal error", t.i}
	}
	c := t.src[t.i]
	t.i++
	switch c {
	case 'd', 'D', 'w', 'W':
		return `\` + string(c), nil
	case 's':
		if inClass {
			return `\t\n\x0B\f\r `, nil
		}
		return `[\t\n\x0B\f\r ]`, nil
	case 'S':
		if inClass {
			return "", &unsupportedRegexError{`\S inside a character class`}
		}
		return `[^\t\n\x0B\f\r ]`, nil
	case 't':
		return `\t`, nil
	case 'n':
		return `\n`, nil
	case 'r':
		return `\r`, nil
	case 'f':
		return `\f`, nil
	case 'a':
		return `\x07`, nil
	case 'e':
		return `\x1B`, nil
	case 'b', 'B', 'A', 'z':
		if inClass {
			break
		}
		return `\` + string(c), nil
	case 'Q':
		end := strings.Index(string(t.src[t.i:]), `\E`)
		var lit string
		if end < 0 {
			lit = string(t.src[t.i:])
			t.i = len(t.src)
		} else {
			lit = string(t.src[t.i:])[:end]
			t.i += len([]rune(lit)) + 2
		}
		if inClass {
			return "", &unsupportedRegexError{`\Q inside a character class`}
		}
		// The quoted characters are separate atoms: a quantifier after \E
		// applies to the last one only.
		return regexp.QuoteMeta(lit), nil
	case 'x':
		if t.i < len(t.src) && t.src[t.i] == '{' {
			end := slices.Index(t.src[t.i:], '}') // in runes: t.src is decoded
			if end < 0 {
				return "", &javaSyntaxError{"Unclosed hexadecimal escape sequence", t.i}
			}
			hex := string(t.src[t.i+1 : t.i+end])
			t.i += end + 1
			return hexRune(hex, start)
		}
		if t.i+2 > len(t.src) {
			return "", &javaSyntaxError{"Illegal hexadecimal escape sequence", t.i}
		}
		hex := string(t.src[t.i : t.i+2])
		t.i += 2
		return hexRune(hex, start)
	case 'u':
		if t.i+4 > len(t.src) {
			return "", &javaSyntaxError{"Illegal Unicode escape sequence", t.i}
		}
		hex := string(t.src[t.i : t.i+4])
		t.i += 4
		return hexRune(hex, start)
	case 'p', 'P':
		var name string
		if t.i < len(t.src) && t.src[t.i] == '{' {
			end := slices.Index(t.src[t.i:], '}') // in runes: t.src is decoded
			if end < 0 {
				return "", &javaSyntaxError{"Unclosed character family", len(t.src)}
			}
			name = string(t.src[t.i+1 : t.i+end])
			t.i += end + 1
		} else if t.i < len(t.src) {
			name = string(t.src[t.i])
			t.i++
		}
		if set, ok := posixClasses[name]; ok {
			neg := ""
			if c == 'P' {
				neg = "^"
			}
			if inClass {
				if neg != "" {
					return "", &unsupportedRegexError{`\P{...} inside a character class`}
				}
				return set, nil
			}
			return "[" + neg + set + "]", nil
		}
		return "", &unsupportedRegexError{`\` + string(c) + "{" + name + "}"}
	}
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		// Backreferences, octal escapes and the rest of Java's lettered
		// escapes (\G \Z \R \X \h \v \k \c ...).
		return "", &unsupportedRegexError{`escape \` + string(c)}
	}
	return regexp.QuoteMeta(string(c)), nil
}

func hexRune(hex string, at int) (string, error) {
	n, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || n > 0x10FFFF {
		return "", &javaSyntaxError{"Illegal hexadecimal escape sequence", at}
	}
	return regexp.QuoteMeta(string(rune(n))), nil
}

// class translates [...]; Java's nested classes and && intersections are refused.
func (t *javaTranslator) class() (string, error) {
	start := t.i
	var b strings.Builder
	b.WriteByte('[')
	t.i++
	if t.i < len(t.src) && t.src[t.i] == '^' {
		b.WriteByte('^')
		t.i++
	}
	first := true
	for {
		if t.i >= len(t.src) {
			return "", &javaSyntaxError{"Unclosed character class", len(t.src) - 1}
		}
		c := t.src[t.i]
		switch {
		case c == ']' && !first:
			t.i++
			b.WriteByte(']')
			return b.String(), nil
		case c == ']' || c == '[':
			return "", &unsupportedRegexError{"character class " + strconv.Quote(string(t.src[start:]))}
		case c == '&' && t.i+1 < len(t.src) && t.src[t.i+1] == '&':
			return "", &unsupportedRegexError{"class intersection in " + strconv.Quote(string(t.src))}
		case c == '\\':
			s, err := t.escape(true)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		default:
			if c == '-' || c == '^' {
				b.WriteString(`\` + string(c))
				// A range's dash is copied bare so that RE2 sees the range.
				if c == '-' && !first && t.i+1 < len(t.src) && t.src[t.i+1] != ']' {
					s := b.String()
					b.Reset()
					b.WriteString(s[:len(s)-2] + "-")
				}
			} else {
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
			t.i++
		}
		first = false
	}
}
