package jvm

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// parserVector is one line of testdata/vectors/jvm/parsers.jsonl, recorded
// from the JDK and Tomcat by gen/Parsers.java.
type parserVector struct {
	Pattern     *string `json:"pattern"`
	Subject     string  `json:"subject"`
	Matches     bool    `json:"matches"`
	Error       string  `json:"error"`
	Host        *string `json:"host"`
	Colon       int     `json:"colon"`
	URIHost     *string `json:"uri_host"`
	ServerBased bool    `json:"server_based"`
}

// TestRecordedParsers replays Java's Pattern.matches, Tomcat's Host.parse
// and java.net.URI's host rule. A pattern trustcheck refuses to model
// (unsupportedRegexError) is counted, not compared; everything else must agree.
func TestRecordedParsers(t *testing.T) {
	path := os.Getenv("TRUSTCHECK_JVM_PARSERS")
	if path == "" {
		path = "../../testdata/vectors/jvm/parsers.jsonl"
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad, refused := 0, 0, 0
	for line := 1; sc.Scan(); line++ {
		var v parserVector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		n++
		fail := func(format string, args ...any) {
			bad++
			if bad <= 20 {
				t.Errorf("%s:%d: "+format, append([]any{path, line}, args...)...)
			}
		}
		switch {
		case v.Pattern != nil:
			p, err := compileJava(*v.Pattern)
			var unsupported *unsupportedRegexError
			if errors.As(err, &unsupported) {
				refused++
				continue
			}
			if v.Error != "" {
				if err == nil || err.Error() != v.Error {
					fail("Pattern.compile(%q): Java says %q, got %v", *v.Pattern, v.Error, err)
				}
				continue
			}
			if err != nil {
				fail("Pattern.compile(%q): Java compiles it, got %v", *v.Pattern, err)
				continue
			}
			if got := p.matches(v.Subject); got != v.Matches {
				fail("Pattern.matches(%q, %q) = %v, Java says %v", *v.Pattern, v.Subject, got, v.Matches)
			}
		case v.Host != nil:
			colon, ok := parseHost(*v.Host)
			if !ok {
				colon = -2
			}
			if colon != v.Colon {
				fail("Host.parse(%q) = %d, Tomcat says %d", *v.Host, colon, v.Colon)
			}
		case v.URIHost != nil:
			if got := javaURIHost(*v.URIHost); got != v.ServerBased {
				fail("java.net.URI host %q: %v, Java says %v", *v.URIHost, got, v.ServerBased)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d of %d parser vectors disagree with Java/Tomcat", bad, n)
	}
	t.Logf("replayed %d parser vectors (%d patterns refused as not modelled)", n, refused)
}
