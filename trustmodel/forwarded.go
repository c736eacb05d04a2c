package trustmodel

import "strings"

// ParseXFF is forwarded@0.2.0's parse: the X-Forwarded-For tokens, rightmost first.
// Only ',' separates and only ' ' is trimmed: "1.1.1.1 2.2.2.2" is one token,
// a tab stays in its token, empty entries are dropped, nothing is normalised.
func ParseXFF(header string) []string {
	return parseXFF(header, func(c byte) bool { return c == ' ' })
}

// ParseFastifyXFF is @fastify/forwarded 3.1.2's parse. A header with a comma
// is parsed like forwarded's but trims '\t' too; one without is JS trim()med
// whole, which also strips \n \v \f \r and, header bytes being latin1 in
// Node, 0xA0 (no-break space).
func ParseFastifyXFF(header string) []string {
	if strings.IndexByte(header, ',') >= 0 {
		return parseXFF(header, func(c byte) bool { return c == ' ' || c == '\t' })
	}
	start, end := 0, len(header)
	for start < end && isJSSpace(header[start]) {
		start++
	}
	for end > start && isJSSpace(header[end-1]) {
		end--
	}
	if start == end {
		return nil
	}
	return []string{header[start:end]}
}

// isJSSpace reports whether String.prototype.trim removes the latin1 char c.
// (strings.Trim would read a lone 0xA0 byte as invalid UTF-8, not as U+00A0.)
func isJSSpace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r' || c == 0xa0
}

// parseXFF scans backwards as both packages do: blanks before a token starts
// are skipped, blanks inside one are kept.
func parseXFF(header string, blank func(byte) bool) []string {
	var list []string
	start, end := len(header), len(header)
	for i := len(header) - 1; i >= 0; i-- {
		switch c := header[i]; {
		case blank(c):
			if start == end {
				start, end = i, i
			}
		case c == ',':
			if start != end {
				list = append(list, header[start:end])
			}
			start, end = i, i
		default:
			start = i
		}
	}
	if start != end {
		list = append(list, header[start:end])
	}
	return list
}
