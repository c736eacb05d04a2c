package trustmodel

import (
	"math"
	"strconv"
	"strings"
)

// The frameworks are JavaScript; these helpers reproduce the few JS
// semantics their trust handling depends on. Configuration values arrive
// decoded from YAML or JSON: nil, bool, float64 or int, string, []any, map[string]any.

// isJSWhitespace reports whether r is removed by String.prototype.trim:
// WhiteSpace and LineTerminator of ECMA-262 (unlike unicode.IsSpace it
// includes U+FEFF and excludes U+0085).
func isJSWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func jsTrim(s string) string    { return strings.TrimFunc(s, isJSWhitespace) }
func jsTrimEnd(s string) string { return strings.TrimRightFunc(s, isJSWhitespace) }

// jsNumber returns v as a JS number when it is one.
func jsNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// jsTruthy is JavaScript's ToBoolean.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	if n, ok := jsNumber(v); ok {
		return n != 0 && !math.IsNaN(n)
	}
	return true // arrays and objects
}

// jsString is JavaScript's String(v) for the values configuration can hold.
func jsString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e != nil { // null and undefined elements join as ""
				parts[i] = jsString(e)
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return "[object Object]"
	}
	if n, ok := jsNumber(v); ok {
		return jsNumberString(n)
	}
	return ""
}

// jsNumberString formats n as Number.prototype.toString does for the values
// YAML and JSON produce (integers print without exponent up to 1e21).
func jsNumberString(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e21 {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return strconv.FormatFloat(n, 'g', -1, 64)
}
