// Package jvm models Java web stacks: Spring Boot 3.5 on Tomcat 10.1 — the
// `native` strategy (Tomcat's RemoteIpValve as Boot configures it), the
// `framework` strategy (Spring's ForwardedHeaderFilter) and `none` — with
// Java's own address text and regular expressions.
package jvm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/trustcheck/trustcheck/trustmodel"
)

const remoteip = "server.tomcat.remoteip."

// Option names, by Spring Boot 3.5's property names. internal-proxies is
// the app's trust_proxy (SPEC §3.1); its default is Boot's
// (spring-boot v3.5.16 ServerProperties.java:1069-1083), the same text as
// Tomcat 10.1.40+'s RemoteIpValve default.
const (
	optStrategy      = "server.forward-headers-strategy"
	optPort          = "server.port"
	optInternal      = remoteip + "internal-proxies"
	optTrusted       = remoteip + "trusted-proxies"
	optRemoteIP      = remoteip + "remote-ip-header"
	optProtocol      = remoteip + "protocol-header"
	optHTTPSValue    = remoteip + "protocol-header-https-value"
	optHostHeader    = remoteip + "host-header"
	optPortHeader    = remoteip + "port-header"
	defaultInternals = `10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|169\.254\.\d{1,3}\.\d{1,3}|` +
		`127\.\d{1,3}\.\d{1,3}\.\d{1,3}|100\.6[4-9]{1}\.\d{1,3}\.\d{1,3}|100\.[7-9]{1}\d{1}\.\d{1,3}\.\d{1,3}|` +
		`100\.1[0-1]{1}\d{1}\.\d{1,3}\.\d{1,3}|100\.12[0-7]{1}\.\d{1,3}\.\d{1,3}|172\.1[6-9]{1}\.\d{1,3}\.\d{1,3}|` +
		`172\.2[0-9]{1}\.\d{1,3}\.\d{1,3}|172\.3[0-1]{1}\.\d{1,3}\.\d{1,3}|0:0:0:0:0:0:0:1|::1|` +
		`fe[89ab]\p{XDigit}:.*|f[cd]\p{XDigit}{2}+:.*`
)

var knownOptions = []string{optStrategy, optPort, optTrusted, optRemoteIP, optProtocol, optHTTPSValue, optHostHeader, optPortHeader}

// springBoot is a Spring Boot 3 app on its embedded Tomcat.
type springBoot struct {
	strategy string // "none", "native" or "framework", lower case
	// valve is the RemoteIpValve Boot adds (native, or a protocol-header or
	// remote-ip-header with text under any strategy); nil when none is.
	valve      *remoteIPValve
	serverPort int // server.port: the connector's port, used without a Host header
	options    map[string]any
	explain    bool
}

// New configures a spring-boot app (framework_version "3": Boot 3.5 on
// Tomcat 10.1).
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	if app.Version != "" && app.Version != "3" && !strings.HasPrefix(app.Version, "3.") {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported spring-boot version %q (want 3)", app.Version)}
	}
	if app.Server != nil || len(app.Middleware) > 0 {
		return nil, &trustmodel.UnsupportedError{Msg: "spring-boot: app.server and app.middleware are not modelled (Boot's embedded Tomcat is the server)"}
	}
	b := &springBoot{strategy: "none", serverPort: 8080, options: app.Options, explain: app.Explain}
	str := map[string]string{}
	for name, v := range app.Options {
		known := false
		for _, k := range knownOptions {
			known = known || k == name
		}
		if !known {
			if name == optInternal {
				return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: %s is the app's trust_proxy for spring-boot", optInternal)}
			}
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: unknown option %q for spring-boot (known: %s)", name, strings.Join(knownOptions, ", "))}
		}
		if name == optPort {
			p, ok := portValue(v)
			if !ok {
				return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: %s must be a port number, not %v", optPort, v)}
			}
			b.serverPort = p
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: %s must be a string, not %v", name, v)}
		}
		str[name] = s
	}
	if s, ok := str[optStrategy]; ok {
		// Boot's LenientObjectToEnumConverterFactory (spring-boot v3.5.16
		// convert/LenientObjectToEnumConverterFactory.java): trimmed, empty is
		// null (no strategy), then letters and digits only, ignoring case:
		// "Native" and "NA_TIVE" are NATIVE.
		s = javaTrim(s)
		canonical := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, s)
		switch canonical {
		case "":
		case "none", "native", "framework":
			b.strategy = canonical
		default:
			return nil, fmt.Errorf("Failed to bind properties under '%s' to org.springframework.boot.autoconfigure.web.ServerProperties$ForwardHeadersStrategy: "+
				"failed to convert java.lang.String to org.springframework.boot.autoconfigure.web.ServerProperties$ForwardHeadersStrategy "+
				"(caused by java.lang.IllegalArgumentException: No enum constant org.springframework.boot.autoconfigure.web.ServerProperties.ForwardHeadersStrategy.%s)", optStrategy, s)
		}
	}
	internal := defaultInternals
	if app.TrustProxySet {
		s, ok := app.TrustProxy.(string)
		if !ok {
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy for spring-boot is %s, a regular expression string, not %v", optInternal, app.TrustProxy)}
		}
		internal = s
	}
	v, err := bootValve(b.strategy, internal, str)
	if err != nil {
		return nil, err
	}
	b.valve = v
	return b, nil
}

func portValue(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, x >= 0 && x <= 65535
	case float64:
		return int(x), x == float64(int(x)) && x >= 0 && x <= 65535
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil && n >= 0 && n <= 65535
	}
	return 0, false
}

// hasText is Spring's StringUtils.hasText: a non-whitespace character.
func hasText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) }) >= 0
}

// bootValve is Boot 3.5's TomcatWebServerFactoryCustomizer.customizeRemoteIpValve
// (spring-boot v3.5.16 TomcatWebServerFactoryCustomizer.java:230-257):
// the valve exists when protocol-header or remote-ip-header has text or the
// strategy is native; Boot's own defaults for host-header
// (X-Forwarded-Host) and port-header (X-Forwarded-Port) differ from bare
// Tomcat's (none).
func bootValve(strategy, internal string, opt map[string]string) (*remoteIPValve, error) {
	protocol, remoteIP := opt[optProtocol], opt[optRemoteIP]
	if !hasText(protocol) && !hasText(remoteIP) && strategy != "native" {
		return nil, nil
	}
	v := &remoteIPValve{
		remoteIPHeader: "X-Forwarded-For",
		protocolHeader: "X-Forwarded-Proto",
		httpsValue:     "https",
		hostHeader:     "X-Forwarded-Host",
		portHeader:     "X-Forwarded-Port",
	}
	if protocol != "" {
		v.protocolHeader = protocol
	}
	if remoteIP != "" {
		v.remoteIPHeader = remoteIP
	}
	var err error
	if v.trusted, err = compileProxies(opt[optTrusted]); err != nil {
		return nil, err
	}
	if v.internal, err = compileProxies(internal); err != nil {
		return nil, err
	}
	if s, ok := opt[optHostHeader]; ok {
		v.hostHeader = s
	}
	if s, ok := opt[optPortHeader]; ok {
		v.portHeader = s
	}
	if s, ok := opt[optHTTPSValue]; ok {
		v.httpsValue = s
	}
	return v, nil
}

// compileProxies is RemoteIpValve.setInternalProxies/setTrustedProxies:
// empty means none (null), else Pattern.compile.
func compileProxies(s string) (*javaPattern, error) {
	if s == "" {
		return nil, nil
	}
	p, err := compileJava(s)
	if err != nil {
		if _, ok := err.(*unsupportedRegexError); ok {
			return nil, &trustmodel.UnsupportedError{Msg: err.Error()}
		}
		return nil, err
	}
	return p, nil
}

func (b *springBoot) Name() string          { return "spring-boot 3 (" + b.strategy + ")" }
func (b *springBoot) AddressHeader() string { return b.addressHeader() }

func (b *springBoot) addressHeader() string {
	if b.valve != nil {
		return b.valve.remoteIPHeader
	}
	return "X-Forwarded-For"
}

// Trust is the valve's: an address is trusted when the internal-proxies or
// trusted-proxies regex matches its text in full, the socket peer (hop 0)
// written as Java writes it. Without a valve nothing is trusted.
func (b *springBoot) Trust() trustmodel.Trust {
	if b.strategy == "framework" {
		return frameworkTrust{}
	}
	return valveTrust{b.valve}
}

// frameworkTrust: ForwardedHeaderFilter believes every sender.
type frameworkTrust struct{}

func (frameworkTrust) Trusts(string, int) (bool, string) {
	return true, "the framework strategy (ForwardedHeaderFilter) believes X-Forwarded-* and Forwarded from any client"
}
func (frameworkTrust) String() string {
	return "every address (server.forward-headers-strategy=framework)"
}

type valveTrust struct{ v *remoteIPValve }

func (t valveTrust) Trusts(addr string, hop int) (bool, string) {
	if t.v == nil {
		return false, "no RemoteIpValve: server.forward-headers-strategy is not native"
	}
	if hop == 0 {
		addr = hostAddress(addr)
	}
	switch {
	case t.v.internal.matches(addr):
		return true, fmt.Sprintf("%q matches internal-proxies", addr)
	case t.v.trusted.matches(addr):
		return true, fmt.Sprintf("%q matches trusted-proxies", addr)
	}
	return false, fmt.Sprintf("%q matches neither internal-proxies nor trusted-proxies", addr)
}

func (t valveTrust) String() string {
	if t.v == nil {
		return "nothing (no RemoteIpValve)"
	}
	var parts []string
	if t.v.internal != nil {
		parts = append(parts, "internal-proxies "+t.v.internal.source)
	}
	if t.v.trusted != nil {
		parts = append(parts, "trusted-proxies "+t.v.trusted.source)
	}
	if len(parts) == 0 {
		return "nothing (internal-proxies and trusted-proxies are empty)"
	}
	return strings.Join(parts, "; ")
}

// tomcatRequest is what the servlet request answers after the connector
// and the valves: getRemoteAddr, getScheme, isSecure, getServerName,
// getServerPort.
type tomcatRequest struct {
	remoteAddr string
	scheme     string
	secure     bool
	serverName string
	// serverNameNull: getServerName() returns null (the filter found no
	// host java.net.URI accepts).
	serverNameNull bool
	serverPort     int
	headers        trustmodel.Header // Latin-1 decoded
}

func (r *tomcatRequest) header(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	for _, l := range r.headers {
		if strings.EqualFold(l.Name, name) {
			return l.Value, true
		}
	}
	return "", false
}

// connect is Tomcat's connector before any valve: the peer as
// InetAddress.getHostAddress writes it, https and secure on TLS, and
// server name and port from the Host header (AbstractProcessor.parseHost,
// CoyoteAdapter.postParseRequest). ok is false where Tomcat answers 400
// itself (an invalid or repeated Host, Host.parse's IllegalArgumentException).
func (b *springBoot) connect(req trustmodel.Request) (r *tomcatRequest, ok bool) {
	r = &tomcatRequest{remoteAddr: hostAddress(req.Peer), scheme: "http", secure: req.TLS}
	if req.TLS {
		r.scheme = "https"
	}
	r.headers = make(trustmodel.Header, len(req.Headers))
	for i, l := range req.Headers {
		r.headers[i] = trustmodel.HeaderLine{Name: l.Name, Value: latin1(l.Value)}
	}
	hosts := r.headers.Lines("Host")
	switch {
	case len(hosts) > 1:
		return r, false // MimeHeaders.getUniqueValue throws
	case len(hosts) == 0:
		// HTTP/1.0 without Host (HTTP/1.1 is refused): the Mapper's default
		// host name, the connector's local port.
		r.serverName, r.serverPort = "localhost", b.serverPort
		return r, true
	case hosts[0] == "":
		r.serverName, r.serverPort = "", b.serverPort
		return r, true
	}
	h := hosts[0]
	colon, valid := parseHost(h)
	if !valid {
		return r, false
	}
	r.serverPort = -1
	if colon != -1 {
		port := 0
		for i := colon + 1; i < len(h); i++ {
			c := h[i]
			if c < '0' || c > '9' || port > (1<<31-1-int(c-'0'))/10 {
				return r, false
			}
			port = port*10 + int(c-'0')
		}
		r.serverPort = port
		h = h[:colon]
	}
	r.serverName = h
	if r.serverPort == -1 {
		r.serverPort = 80
		if r.scheme == "https" {
			r.serverPort = 443
		}
	}
	return r, true
}

func (b *springBoot) Evaluate(req trustmodel.Request) trustmodel.Result {
	r, ok := b.connect(req)
	if !ok {
		// Tomcat answers 400 before the application sees the request.
		return trustmodel.Result{Raised: map[string]string{"host": "IllegalArgumentException"}}
	}
	var steps []trustmodel.Step
	if b.valve != nil {
		steps = b.valve.invoke(r, b.explain)
	}
	if b.strategy == "framework" {
		before := r.remoteAddr
		if err := springForwarded(r); err != nil {
			// The filter answers 400 before the application sees the request.
			return trustmodel.Result{Raised: map[string]string{"host": err.Error()}}
		}
		if b.explain && r.remoteAddr != before {
			steps = append(steps, frameworkSteps(before, r.remoteAddr)...)
		}
	}
	addr := r.remoteAddr
	scheme := r.scheme
	res := trustmodel.Result{IP: &addr, Protocol: &scheme, Secure: trustmodel.BoolPtr(r.secure), Steps: steps}
	if !r.serverNameNull {
		host := r.serverName + ":" + strconv.Itoa(r.serverPort)
		name := r.serverName
		res.Host, res.Hostname = &host, &name
	}
	return res
}

// remoteIPValve is org.apache.catalina.valves.RemoteIpValve (Tomcat 10.1.60).
type remoteIPValve struct {
	internal, trusted                  *javaPattern // nil: null
	remoteIPHeader, protocolHeader     string
	httpsValue, hostHeader, portHeader string
}

// invoke is RemoteIpValve.invoke up to getNext().invoke.
func (v *remoteIPValve) invoke(r *tomcatRequest, explain bool) []trustmodel.Step {
	var steps []trustmodel.Step
	peer := r.remoteAddr
	isInternal := v.internal.matches(peer)
	peerTrusted := isInternal || v.trusted.matches(peer)
	if explain {
		why := "matches neither internal-proxies nor trusted-proxies: the headers are ignored"
		if isInternal {
			why = "matches internal-proxies"
		} else if peerTrusted {
			why = "matches trusted-proxies"
		}
		steps = append(steps, trustmodel.Step{Hop: 0, Addr: peer, Trusted: peerTrusted, Why: why, Tested: true})
	}
	if !peerTrusted {
		return steps
	}
	// All remoteIpHeader lines, joined with ", " (no separator while the
	// value so far is empty).
	var concat strings.Builder
	for _, l := range r.headers {
		if strings.EqualFold(l.Name, v.remoteIPHeader) && v.remoteIPHeader != "" {
			if concat.Len() > 0 {
				concat.WriteString(", ")
			}
			concat.WriteString(l.Value)
		}
	}
	parts := splitCommaSeparated(concat.String())
	var remoteIP *string
	idx := len(parts) - 1
	for ; idx >= 0; idx-- {
		cur := parts[idx]
		remoteIP = &parts[idx]
		hop := len(parts) - idx
		if v.internal.matches(cur) {
			if explain {
				steps = append(steps, trustmodel.Step{Hop: hop, Addr: cur, Trusted: true, Why: "matches internal-proxies", Tested: true})
			}
			continue
		}
		if v.trusted.matches(cur) {
			if explain {
				steps = append(steps, trustmodel.Step{Hop: hop, Addr: cur, Trusted: true, Why: "matches trusted-proxies", Tested: true})
			}
			continue
		}
		if explain {
			steps = append(steps, trustmodel.Step{Hop: hop, Addr: cur, Why: "neither an internal nor a trusted proxy, so it is the client (never validated as an address)", Tested: true})
		}
		idx--
		break
	}
	if remoteIP != nil {
		r.remoteAddr = *remoteIP
		// The header keeps only the entries left of the client, as one
		// line (MimeHeaders.setValue), or goes; a filter behind the valve
		// (the framework strategy) reads that.
		kept := r.headers.Without(v.remoteIPHeader)
		if idx >= 0 {
			kept = append(kept, trustmodel.HeaderLine{Name: v.remoteIPHeader, Value: strings.Join(parts[:idx+1], ",")})
		}
		r.headers = kept
	}
	if v.protocolHeader != "" {
		// RequestUtil.getMergedHeaderValue: every line, joined with ",".
		var lines []string
		for _, l := range r.headers {
			if strings.EqualFold(l.Name, v.protocolHeader) {
				lines = append(lines, l.Value)
			}
		}
		if lines != nil {
			if v.protoSecure(strings.Join(lines, ",")) {
				r.secure, r.scheme = true, "https"
				v.setPorts(r, 443)
			} else {
				r.secure, r.scheme = false, "http"
				v.setPorts(r, 80)
			}
		}
	}
	if h, ok := r.header(v.hostHeader); ok {
		if colon, valid := parseHost(h); valid {
			if colon > -1 {
				h = h[:colon]
			}
			r.serverName = h
		}
	}
	return steps
}

// protoSecure is isForwardedProtoHeaderValueSecure: without a comma the
// value must equal the https value ignoring case; with commas every item must.
func (v *remoteIPValve) protoSecure(value string) bool {
	if !strings.Contains(value, ",") {
		return equalsIgnoreCase(v.httpsValue, value)
	}
	items := splitCommaSeparated(value)
	if len(items) == 0 {
		return false
	}
	for _, it := range items {
		if !equalsIgnoreCase(v.httpsValue, it) {
			return false
		}
	}
	return true
}

// setPorts: the port header's first line as Integer.parseInt reads it, else the default.
func (v *remoteIPValve) setPorts(r *tomcatRequest, def int) {
	port := def
	if s, ok := r.header(v.portHeader); ok {
		if n, ok := parseInt(s); ok {
			port = n
		}
	}
	r.serverPort = port
}

// Advise writes `server.forward-headers-strategy=native` and an
// internal-proxies regex that matches exactly the proxies' addresses as
// Java writes them; trusted-proxies is dropped. Trusting nothing is the
// strategy none without the header properties that would add the valve.
func (b *springBoot) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	opts := map[string]any{}
	for k, v := range b.options {
		opts[k] = v
	}
	delete(opts, optTrusted)
	app := trustmodel.App{Framework: "spring-boot", Version: "3", Options: opts}
	if len(a.Proxies) == 0 {
		delete(opts, optProtocol)
		delete(opts, optRemoteIP)
		opts[optStrategy] = "none"
		return trustmodel.Setting{Code: optStrategy + "=none", App: app}, true
	}
	var alts []string
	for _, p := range a.Proxies {
		re, ok := proxyRegex(p)
		if !ok {
			return trustmodel.Setting{}, false
		}
		alts = append(alts, re)
	}
	sort.Strings(alts)
	re := strings.Join(alts, "|")
	opts[optStrategy] = "native"
	app.TrustProxy, app.TrustProxySet = re, true
	// In a .properties file a backslash is written twice.
	code := optStrategy + "=native\n" + optInternal + "=" + strings.ReplaceAll(re, `\`, `\\`)
	return trustmodel.Setting{Code: code, App: app}, true
}
