package nginxtest

import "regexp"

// includeOutside matches an include whose argument is absolute or climbs
// out with "..", quoted or not.
var includeOutside = regexp.MustCompile(`include[^;{}]*?[\s"'/](/|\.\.)`)

// IncludesOutside reports whether conf may include files outside the
// directory a fuzz target loads it from. Such inputs make the fuzzer read
// the host's own files ("include /**/*" walks /proc): slow and different on
// every machine. The bad-input suite covers those paths on purpose.
func IncludesOutside(conf []byte) bool { return includeOutside.Match(conf) }
