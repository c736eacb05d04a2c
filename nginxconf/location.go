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
	l, _ := findLocation(s.sc, s.Locations, uri)
	return l
}

// LocationFor searches this location's nested locations the same way; it
// returns nil when none matches.
func (l *Location) LocationFor(uri string) *Location {
	n, _ := findLocation(l.sc, l.Locations, uri)
	return n
}

// findLocation searches locs, the locations of level sc.
func findLocation(sc *scope, locs []*Location, uri string) (*Location, bool) {
	var ix *locationIndex
	if len(locs) > indexedLocations {
		ix = sc.locationIndex(locs)
	}
	return searchLevel(ix, locs, uri)
}

// searchLevel is findLocation on one level, through ix when it has one
// (nil: a scan of locs); nested levels are searched by findLocation.
func searchLevel(ix *locationIndex, locs []*Location, uri string) (*Location, bool) {
	var best *Location
	regex := locs
	if ix != nil {
		if l, ok := ix.exact[uri]; ok {
			return l, true
		}
		for i := len(uri); i >= 0 && best == nil; i-- {
			best = ix.prefix[uri[:i]]
		}
		regex = ix.regex
	} else {
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
	}
	result := best
	noregex := false
	if best != nil {
		noregex = best.Modifier == "^~"
		if n, final := findLocation(best.sc, best.Locations, uri); n != nil {
			if final {
				return n, true
			}
			result = n
		}
	}
	if !noregex {
		for _, l := range regex {
			if (l.Modifier == "~" || l.Modifier == "~*") && l.re != nil && l.re.MatchString(uri) {
				if n, _ := findLocation(l.sc, l.Locations, uri); n != nil {
					return n, true
				}
				return l, true
			}
		}
	}
	return result, false
}

// indexedLocations is how many locations a level holds before its lookups
// go through a locationIndex rather than a scan: a server of thousands of
// locations that rewrite or try_files into each other is searched once
// per redirect.
const indexedLocations = 16

// locationIndex is a level's locations by what findLocation compares:
// the first exact and the first prefix location of each URI, and the
// regex locations in order.
type locationIndex struct {
	exact, prefix map[string]*Location
	regex         []*Location
}

func (sc *scope) locationIndex(locs []*Location) *locationIndex {
	sc.locsOnce.Do(func() {
		ix := &locationIndex{exact: map[string]*Location{}, prefix: map[string]*Location{}}
		for _, l := range locs {
			switch l.Modifier {
			case "=":
				if _, dup := ix.exact[l.Match]; !dup {
					ix.exact[l.Match] = l
				}
			case "", "^~":
				if _, dup := ix.prefix[l.Match]; !dup {
					ix.prefix[l.Match] = l
				}
			case "~", "~*":
				ix.regex = append(ix.regex, l)
			}
		}
		sc.locs = ix
	})
	return sc.locs
}
