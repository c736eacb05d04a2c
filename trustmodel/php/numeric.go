package php

import (
	"math"
	"strconv"
)

// numericKind is how PHP 8 reads a string as a number
// (Zend/zend_operators.c _is_numeric_string_ex).
type numericKind int

const (
	notNumeric     numericKind = iota
	leadingNumeric             // "10x": a number followed by other text
	numeric                    // the whole string, whitespace around allowed
)

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// phpNumber parses s as PHP 8 does: leading whitespace, a sign, digits with
// an optional fraction and exponent, trailing whitespace.
func phpNumber(s string) (float64, numericKind) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		frac := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			frac++
		}
		if digits+frac > 0 {
			i = j
			digits += frac
		}
	}
	if digits == 0 {
		return 0, notNumeric
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	v, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil && !math.IsInf(v, 0) {
		return 0, notNumeric
	}
	end := i
	for end < len(s) && isSpace(s[end]) {
		end++
	}
	if end == len(s) {
		return v, numeric
	}
	return v, leadingNumeric
}

// compareIntString is PHP 8's $n <=> $s for an int and a string: numerically
// when the string is numeric, else as strings.
func compareIntString(n int, s string) int {
	if v, kind := phpNumber(s); kind == numeric {
		switch f := float64(n); {
		case f < v:
			return -1
		case f > v:
			return 1
		}
		return 0
	}
	a := strconv.Itoa(n)
	switch {
	case a < s:
		return -1
	case a > s:
		return 1
	}
	return 0
}

// castInt is PHP's (int) $s: the leading number, 0 when there is none.
func castInt(s string) int64 {
	v, kind := phpNumber(s)
	if kind == notNumeric || math.IsNaN(v) {
		return 0
	}
	if math.IsInf(v, 0) || v >= 9.2233720368547758e18 || v < -9.2233720368547758e18 {
		// zend_dval_to_lval_cap saturates out-of-range values.
		if v > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return int64(v)
}
