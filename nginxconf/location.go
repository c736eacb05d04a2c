package nginxconf

import "strings"

// LocationFor returns the location nginx selects for a request URI (the
// normalised path, without the query string), or nil when no location
// matches. It follows ngx_http_core_find_location: an exact "=" match
// wins; otherwise the longest prefix is remembered and its nested
// locations are searched; unless that prefix has "^~", the regex locations
// of the level are tried in order and the first match (searched for nested
// locations in turn) wins; else the longest prefix stands.
//
// Regexes run on Go's RE2 engine: PCRE-only syntax (lookarounds,
// backreferences, possessive quantifiers) does not compile and such a
// location is never selected (Load warns); "$" matches only at the very end
// (PCRE also matches before a final newline, which URIs do not carry).
func (s *Server) LocationFor(uri string) *Location {
	l, _ := findLocation(s.Locations, uri)
	return l
}

// LocationFor searches this location's nested locations the same way; it
// returns nil when none matches.
func (l *Location) LocationFor(uri string) *Location {
	n, _ := findLocation(l.Locations, uri)
	return n
}

func findLocation(locs []*Location, uri string) (*Location, bool) {
	var best *Location
	for _, l := range locs {
		switch l.Modifier {
		case "=":
			if l.Match == uri {
				return l, true
			}
		case "", "^~":
			if strings.HasPrefix(uri, l.Match) && (best == nil || len(l.Match) > len(best.Match)) {
				best = l
			}
		}
	}
	result := best
	noregex := false
	if best != nil {
		noregex = best.Modifier == "^~"
		if n, final := findLocation(best.Locations, uri); n != nil {
			if final {
				return n, true
			}
			result = n
		}
	}
	if !noregex {
		for _, l := range locs {
			if (l.Modifier == "~" || l.Modifier == "~*") && l.re != nil && l.re.MatchString(uri) {
				if n, _ := findLocation(l.Locations, uri); n != nil {
					return n, true
				}
				return l, true
			}
		}
	}
	return result, false
}
