package jvm

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// The `framework` strategy: Spring's ForwardedHeaderFilter, which Boot 3.5
// registers at the highest precedence. It checks no peer at all. Read from
// spring-projects/spring-framework v6.2.19 (v6.1.21 is the same in these
// files): spring-web/.../web/filter/ForwardedHeaderFilter.java and
// spring-web/.../web/util/ForwardedHeaderUtils.java (line numbers below are
// v6.2.19's).

// forwardedHeaderNames is ForwardedHeaderFilter.FORWARDED_HEADER_NAMES
// (ForwardedHeaderFilter.java:71-77): with none present the filter does not
// run (shouldNotFilter, :130-136).
var forwardedHeaderNames = []string{"Forwarded", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto",
	"X-Forwarded-Prefix", "X-Forwarded-Ssl", "X-Forwarded-For"}

// ForwardedHeaderUtils.java:48-54.
var (
	forwardedHost  = regexp.MustCompile(`(?i:host)="?([^;,"]+)"?`)
	forwardedProto = regexp.MustCompile(`(?i:proto)="?([^;,"]+)"?`)
	forwardedFor   = regexp.MustCompile(`(?i:for)="?([^;,"]+)"?`)
)

// javaException is what the filter's constructor throws; it answers 400
// (ForwardedHeaderFilter.doFilterInternal, :160-171, catches any Throwable).
type javaException string

func (e javaException) Error() string { return string(e) }

// tokenize is StringUtils.tokenizeToStringArray(s, ","): StringTokenizer
// tokens, String.trim()med, empty ones dropped.
func tokenize(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = javaTrim(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// first is tokens[0], which throws on an empty array.
func first(s string) (string, error) {
	t := tokenize(s)
	if len(t) == 0 {
		return "", javaException("ArrayIndexOutOfBoundsException")
	}
	return t[0], nil
}

// javaURIHost is what java.net.URI makes of the authority
// "serverName[:port]" that ServletServerHttpRequest.initURI parses from
// getRequestURL, for the server names Tomcat lets through (Host.parse): a
// server-based authority needs an IPv4 address, an [IPv6] literal or a
// hostname of alphanumeric labels with inner hyphens whose last label, if
// there are several, starts with a letter; otherwise the authority is
// registry-based and host and port are both absent (recorded against
// OpenJDK 17's java.net.URI in testdata/vectors/jvm/parsers.jsonl).
func javaURIHost(name string) bool {
	if strings.HasPrefix(name, "[") {
		return true
	}
	parts := strings.Split(name, ".")
	if len(parts) == 4 {
		ipv4 := true
		for _, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || p == "" || len(p) > 3 || n > 255 || strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
				ipv4 = false
			}
		}
		if ipv4 {
			return true
		}
	}
	if strings.HasSuffix(name, ".") {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return false
	}
	for _, l := range parts {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// Only a name of several labels needs a letter first in its last one
	// (URI.Parser.parseHostname).
	top := parts[len(parts)-1]
	return len(parts) == 1 || top[0] >= 'a' && top[0] <= 'z' || top[0] >= 'A' && top[0] <= 'Z'
}

// uriBuilder holds UriComponentsBuilder's scheme, host and port (a string;
// nil is no port).
type uriBuilder struct {
	scheme string
	host   *string
	port   *string
}

func (b *uriBuilder) setPort(n int) error {
	// UriComponentsBuilder.port(int): Assert.isTrue(port >= -1).
	if n < -1 {
		return javaException("IllegalArgumentException")
	}
	s := strconv.Itoa(n)
	b.port = &s
	return nil
}

// adaptForwardedHost is ForwardedHeaderUtils.adaptForwardedHost (:122-136).
func (b *uriBuilder) adaptForwardedHost(raw string) error {
	colon, bracket := strings.LastIndexByte(raw, ':'), strings.LastIndexByte(raw, ']')
	if colon > bracket {
		if bracket == -1 && strings.IndexByte(raw, ':') != colon {
			return javaException("IllegalArgumentException") // "Invalid IPv4 address"
		}
		host := raw[:colon]
		b.host = &host
		n, ok := parseInt(raw[colon+1:])
		if !ok {
			return javaException("IllegalArgumentException") // NumberFormatException, rethrown (:106-110)
		}
		return b.setPort(n)
	}
	b.host, b.port = &raw, nil
	return nil
}

// springForwarded is ForwardedHeaderExtractingRequest's constructor
// (ForwardedHeaderFilter.java:264-285) over the request Tomcat hands the
// filter: it rewrites r, or returns the exception that makes the filter answer 400.
func springForwarded(r *tomcatRequest) error {
	present := false
	for _, n := range forwardedHeaderNames {
		if _, ok := r.header(n); ok {
			present = true
		}
	}
	if !present {
		return nil
	}
	b := uriBuilder{scheme: r.scheme}
	port := r.serverPort
	if port < 0 {
		port = 80
	}
	if javaURIHost(r.serverName) {
		name := r.serverName
		b.host = &name
		if r.scheme == "http" && port != 80 || r.scheme == "https" && port != 443 {
			s := strconv.Itoa(port)
			b.port = &s
		}
	}
	hasText := func(name string) (string, bool) {
		v, ok := r.header(name)
		return v, ok && hasText(v)
	}
	sslOn := func() bool {
		v, ok := hasText("X-Forwarded-Ssl")
		return ok && equalsIgnoreCase(v, "on")
	}
	// adaptFromForwardedHeaders (ForwardedHeaderUtils.java:67-115).
	if fwd, ok := hasText("Forwarded"); ok {
		if m := forwardedProto.FindStringSubmatch(fwd); m != nil {
			b.scheme, b.port = javaTrim(m[1]), nil
		} else if sslOn() {
			b.scheme, b.port = "https", nil
		}
		if m := forwardedHost.FindStringSubmatch(fwd); m != nil {
			if err := b.adaptForwardedHost(javaTrim(m[1])); err != nil {
				return err
			}
		}
	} else {
		if v, ok := hasText("X-Forwarded-Proto"); ok {
			s, err := first(v)
			if err != nil {
				return err
			}
			b.scheme, b.port = s, nil
		} else if sslOn() {
			b.scheme, b.port = "https", nil
		}
		if v, ok := hasText("X-Forwarded-Host"); ok {
			s, err := first(v)
			if err != nil {
				return err
			}
			if err := b.adaptForwardedHost(s); err != nil {
				return err
			}
		}
		if v, ok := hasText("X-Forwarded-Port"); ok {
			s, err := first(v)
			if err != nil {
				return err
			}
			n, ok := parseInt(s)
			if !ok {
				return javaException("IllegalArgumentException")
			}
			if err := b.setPort(n); err != nil {
				return err
			}
		}
	}
	// resetPortIfDefaultForScheme (UriComponentsBuilder.java:755-761).
	if b.port != nil && ((b.scheme == "http" || b.scheme == "ws") && *b.port == "80" || (b.scheme == "https" || b.scheme == "wss") && *b.port == "443") {
		b.port = nil
	}
	// parseForwardedFor (ForwardedHeaderUtils.java:149-188).
	remote, err := parseForwardedFor(r)
	if err != nil {
		return err
	}
	uriPort := -1
	if b.port != nil {
		uriPort, _ = strconv.Atoi(*b.port)
	}
	r.scheme = b.scheme
	r.secure = b.scheme == "https" || b.scheme == "wss"
	if uriPort == -1 {
		uriPort = 80
		if r.secure {
			uriPort = 443
		}
	}
	r.serverPort = uriPort
	r.serverNameNull = b.host == nil
	if b.host != nil {
		r.serverName = *b.host
	}
	if remote != nil {
		r.remoteAddr = *remote
	}
	return nil
}

func parseForwardedFor(r *tomcatRequest) (*string, error) {
	if fwd, ok := r.header("Forwarded"); ok && hasText(fwd) {
		elem, err := first(fwd)
		if err != nil {
			return nil, err
		}
		if m := forwardedFor.FindStringSubmatch(elem); m != nil {
			value := javaTrim(m[1])
			host := value
			colon, bracket := strings.LastIndexByte(value, ':'), strings.LastIndexByte(value, ']')
			if colon > bracket {
				if bracket == -1 && strings.IndexByte(value, ':') != colon {
					return nil, javaException("IllegalArgumentException")
				}
				host = value[:colon]
				n, ok := parseInt(value[colon+1:])
				// InetSocketAddress.createUnresolved checks the port range.
				if !ok || n < 0 || n > 65535 {
					return nil, javaException("IllegalArgumentException")
				}
			}
			return &host, nil
		}
	}
	if xff, ok := r.header("X-Forwarded-For"); ok && hasText(xff) {
		h, err := first(xff)
		if err != nil {
			return nil, err
		}
		return &h, nil
	}
	return nil, nil
}

// frameworkSteps explains the framework strategy's one rule: the
// forwarded address replaces the request's, whoever sent it.
func frameworkSteps(from, client string) []trustmodel.Step {
	return []trustmodel.Step{
		{Hop: 0, Addr: from, Trusted: true, Tested: true, Why: "ForwardedHeaderFilter checks no sender: Forwarded and X-Forwarded-* are believed from any client"},
		{Hop: 1, Addr: client, Why: "the leftmost Forwarded for= or X-Forwarded-For entry of the first line, believed whoever sent it"},
	}
}
