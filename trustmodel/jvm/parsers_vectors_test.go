package jvm

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/trustcheck/trustcheck/internal/vectortest"
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
	refused := 0
	n := vectortest.Lines(t, path, func(_ int, v parserVector) string {
		switch {
		case v.Pattern != nil:
			p, err := compileJava(*v.Pattern)
			var unsupported *unsupportedRegexError
			switch {
			case errors.As(err, &unsupported):
				refused++
			case v.Error != "":
				if err == nil || err.Error() != v.Error {
					return fmt.Sprintf("Pattern.compile(%q): Java says %q, got %v", *v.Pattern, v.Error, err)
				}
			case err != nil:
				return fmt.Sprintf("Pattern.compile(%q): Java compiles it, got %v", *v.Pattern, err)
			default:
				if got := p.matches(v.Subject); got != v.Matches {
					return fmt.Sprintf("Pattern.matches(%q, %q) = %v, Java says %v", *v.Pattern, v.Subject, got, v.Matches)
				}
			}
		case v.Host != nil:
			colon, ok := parseHost(*v.Host)
			if !ok {
				colon = -2
			}
			if colon != v.Colon {
				return fmt.Sprintf("Host.parse(%q) = %d, Tomcat says %d", *v.Host, colon, v.Colon)
			}
		case v.URIHost != nil:
			if got := javaURIHost(*v.URIHost); got != v.ServerBased {
				return fmt.Sprintf("java.net.URI host %q: %v, Java says %v", *v.URIHost, got, v.ServerBased)
			}
		}
		return ""
	})
	t.Logf("replayed %d parser vectors (%d patterns refused as not modelled)", n, refused)
}
