package nginxconf

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// This file turns nginx values ("$scheme://$host", "$fwd") into
// trustmodel.Expr. trustmodel's own expressions are used where their
// semantics are nginx's ($remote_addr, $proxy_add_x_forwarded_for, $scheme,
// $http_NAME when joined); the nginx-specific ones are defined here.

// ---------------------------------------------------------------------------
// expression types

// Var is a named variable ($name) and the expression it stands for: set
// variables, map and geo results, $proxy_host, $server_name.
type Var struct {
	Name  string // without "$"
	Value trustmodel.Expr

	src  []trustmodel.Source // cached by newVar: set chains share subexpressions
	size int
}

func (v Var) Eval(in trustmodel.HopInput) string { return v.Value.Eval(in) }
func (v Var) Sources() []trustmodel.Source {
	if v.src != nil {
		return v.src
	}
	return v.Value.Sources()
}
func (v Var) String() string { return "$" + v.Name }

// maxExprSize bounds how large a value may grow through set, map and if
// chains ("set $x $x$x" doubles it); beyond it the value is opaque (its
// sources are kept), so no configuration makes evaluation explode.
const maxExprSize = 1 << 14

func newVar(name string, value trustmodel.Expr) Var {
	size := satAdd(1, exprSize(value))
	src := mergeSources(nil, value.Sources())
	if size > maxExprSize {
		value = Opaque{Text: "$" + name + " (too large to evaluate)", Src: src}
		size = 1
	}
	return Var{Name: name, Value: value, src: src, size: size}
}

func satAdd(a, b int) int {
	if a+b > maxExprSize*4 || a+b < 0 {
		return maxExprSize * 4
	}
	return a + b
}

// exprSize is the number of nodes evaluating e visits.
func exprSize(e trustmodel.Expr) int {
	switch x := e.(type) {
	case Var:
		if x.size > 0 {
			return x.size
		}
		return satAdd(1, exprSize(x.Value))
	case *MapExpr:
		return x.size
	case CondExpr:
		return satAdd(1, satAdd(exprSize(x.Then), exprSize(x.Else)))
	case dynProxyHost:
		return satAdd(1, exprSize(x.url))
	case HostOrProxyHost:
		n := exprSize(x.ProxyHost)
		if x.Value != nil {
			n = satAdd(n, exprSize(x.Value))
		}
		return n
	case trustmodel.Concat:
		n := 0
		for _, c := range x {
			n = satAdd(n, exprSize(c))
		}
		return n
	}
	return 1
}

// Opaque is a value the model does not compute (it evaluates to "", which
// sends no header); Src says what it depends on: SourceClient when the
// client chooses it ($request_uri, $arg_x), SourceOpaque otherwise.
type Opaque struct {
	Text string
	Src  []trustmodel.Source
}

func (o Opaque) Eval(trustmodel.HopInput) string { return "" }
func (o Opaque) Sources() []trustmodel.Source    { return o.Src }
func (o Opaque) String() string                  { return o.Text }

func clientOpaque(text string) Opaque {
	return Opaque{Text: text, Src: []trustmodel.Source{{Kind: trustmodel.SourceClient, Name: text}}}
}

func internalOpaque(text string) Opaque {
	return Opaque{Text: text, Src: []trustmodel.Source{{Kind: trustmodel.SourceOpaque, Name: text}}}
}

// HostVar is $host: the host of the request line, else the Host header
// lowercased without port and trailing dot, else the server's first
// server_name (the hop's Context, the *Server handling the request).
// AnyHost: the server accepts any Host (default or catch-all server), so
// the client chooses the value.
type HostVar struct {
	AnyHost bool
	Text    string
}

func (h HostVar) Eval(in trustmodel.HopInput) string {
	if v, ok := firstLine(in.In.Headers, "Host"); ok {
		if host, valid := validateHost(v); valid {
			return host
		}
		return "" // nginx answers 400 "client sent invalid host header"
	}
	if s, ok := in.Context.(*Server); ok {
		return s.ServerName()
	}
	return ""
}

func (h HostVar) Sources() []trustmodel.Source {
	src := []trustmodel.Source{{Kind: trustmodel.SourceHost, Name: h.Text}}
	if h.AnyHost {
		src = append(src, trustmodel.Source{Kind: trustmodel.SourceClient, Name: h.Text + " (server accepts any Host)"})
	}
	return src
}
func (h HostVar) String() string { return h.Text }

// RequestPort is $request_port (1.29.3+): the port the client's Host names
// (the request line's with an absolute URI, not modelled), "" without one;
// with Colon, $is_request_port: ":" when there is a port.
type RequestPort struct {
	Colon bool
	Text  string
}

func (r RequestPort) Eval(in trustmodel.HopInput) string {
	v, ok := firstLine(in.In.Headers, "Host")
	if !ok {
		return ""
	}
	if _, valid := validateHost(v); !valid {
		return ""
	}
	rest := v
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return ""
		}
		rest = rest[end+1:]
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return ""
	}
	port := ngxAtoi(rest[i+1:])
	if port <= 0 || port > 65535 {
		return ""
	}
	if r.Colon {
		return ":"
	}
	return itoa(port)
}

func (r RequestPort) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceHost, Name: r.Text}}
}
func (r RequestPort) String() string { return r.Text }

// validateHost is ngx_http_validate_host: port and one trailing dot removed,
// lowercased; "..", NUL, "/" and control characters make it invalid.
func validateHost(h string) (string, bool) {
	dotPos := len(h)
	hostLen := len(h)
	state := 0 // 0 usual, 1 literal, 2 rest
	for i := 0; i < len(h); i++ {
		ch := h[i]
		switch ch {
		case '.':
			if dotPos == i-1 {
				return "", false
			}
			dotPos = i
		case ':':
			if state == 0 {
				hostLen = i
				state = 2
			}
		case '[':
			if i == 0 {
				state = 1
			}
		case ']':
			if state == 1 {
				hostLen = i + 1
				state = 2
			}
		case 0, '/':
			return "", false
		default:
			if ch <= 0x20 || ch == 0x7f {
				return "", false
			}
		}
	}
	if dotPos == hostLen-1 {
		hostLen--
	}
	if hostLen <= 0 {
		return "", false
	}
	return strings.ToLower(h[:hostLen]), true
}

// FirstHeaderLine is $http_NAME before nginx 1.23.0 for headers other than
// X-Forwarded-For and Cookie: the first line only.
type FirstHeaderLine struct {
	Header string
	Text   string
}

func (f FirstHeaderLine) Eval(in trustmodel.HopInput) string {
	v, _ := firstLine(in.In.Headers, f.Header)
	return v
}
func (f FirstHeaderLine) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceHeader, Name: f.Header}}
}
func (f FirstHeaderLine) String() string { return f.Text }

// HeaderVar is $http_NAME for a header nginx finds by comparing names with
// "-" read as "_" (ngx_http_variable_unknown_header): with
// underscores_in_headers on, $http_x_client_ip also matches X_Client_IP.
type HeaderVar struct {
	Suffix string // the part after "http_", lowercase
	Header string // the usual spelling, e.g. X-Client-Ip
	Joined bool   // every matching line joined with ", " (nginx >= 1.23.0)
	Text   string
}

func (h HeaderVar) Eval(in trustmodel.HopInput) string {
	var vals []string
	for _, l := range in.In.Headers {
		if headerVarMatch(l.Name, h.Suffix) {
			if !h.Joined {
				return l.Value
			}
			vals = append(vals, l.Value)
		}
	}
	return strings.Join(vals, ", ")
}
func (h HeaderVar) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceHeader, Name: h.Header}}
}
func (h HeaderVar) String() string { return h.Text }

func headerVarMatch(name, suffix string) bool {
	if len(name) != len(suffix) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		} else if c == '-' {
			c = '_'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}

// CookieVar is $cookie_NAME: the value of the first cookie named NAME
// (case-insensitive) in the Cookie lines.
type CookieVar struct {
	Name string
	Text string
}

func (c CookieVar) Eval(in trustmodel.HopInput) string {
	for _, line := range in.In.Headers.Lines("Cookie") {
		for _, part := range strings.FieldsFunc(line, func(r rune) bool { return r == ';' || r == ',' }) {
			k, v, ok := strings.Cut(strings.TrimLeft(part, " "), "=")
			if ok && strings.EqualFold(strings.TrimRight(k, " "), c.Name) {
				return strings.TrimRight(strings.TrimLeft(v, " "), " ")
			}
		}
	}
	return ""
}
func (c CookieVar) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceHeader, Name: "Cookie"}}
}
func (c CookieVar) String() string { return c.Text }

// HTTPSVar is $https: "on" on a TLS connection, else "".
type HTTPSVar struct{ Text string }

func (h HTTPSVar) Eval(in trustmodel.HopInput) string {
	if in.In.TLS {
		return "on"
	}
	return ""
}
func (h HTTPSVar) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceScheme, Name: h.Text}}
}
func (h HTTPSVar) String() string { return h.Text }

// ServerPort is $server_port: the port of the listen the request came in
// on; with one plain and one TLS port the connection's TLS decides.
type ServerPort struct {
	Plain, TLS string
	Text       string
}

func (s ServerPort) Eval(in trustmodel.HopInput) string {
	if in.In.TLS && s.TLS != "" || s.Plain == "" {
		return s.TLS
	}
	return s.Plain
}
func (s ServerPort) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceOpaque, Name: s.Text}}
}
func (s ServerPort) String() string { return s.Text }

// PeerAddr is $realip_remote_addr: the connection's own peer address.
type PeerAddr struct{ Text string }

func (p PeerAddr) Eval(in trustmodel.HopInput) string { return in.In.Peer }
func (p PeerAddr) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceOpaque, Name: p.Text + " (the connection's peer)"}}
}
func (p PeerAddr) String() string { return p.Text }

// BinaryAddr is $binary_remote_addr: $remote_addr as 4 or 16 bytes.
type BinaryAddr struct{ Text string }

func (b BinaryAddr) Eval(in trustmodel.HopInput) string {
	if a, err := netip.ParseAddr(in.ClientAddr); err == nil {
		return string(a.AsSlice())
	}
	return in.ClientAddr
}
func (b BinaryAddr) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceClientAddr, Name: b.Text}}
}
func (b BinaryAddr) String() string { return b.Text }

// HostOrProxyHost is the Host header value from nginx 1.31.4: the
// configured value, or $proxy_host when it evaluates to "".
type HostOrProxyHost struct {
	Value     trustmodel.Expr
	ProxyHost trustmodel.Expr
}

func (h HostOrProxyHost) Eval(in trustmodel.HopInput) string {
	if h.Value != nil {
		if v := h.Value.Eval(in); v != "" {
			return v
		}
	}
	return h.ProxyHost.Eval(in)
}
func (h HostOrProxyHost) Sources() []trustmodel.Source {
	if h.Value == nil {
		return h.ProxyHost.Sources()
	}
	return mergeSources(h.Value.Sources(), h.ProxyHost.Sources())
}
func (h HostOrProxyHost) String() string {
	if h.Value == nil {
		return h.ProxyHost.String()
	}
	return h.Value.String()
}

// dynProxyHost is $proxy_host of a proxy_pass with variables: the host part
// of the URL as evaluated.
type dynProxyHost struct{ url trustmodel.Expr }

func (d dynProxyHost) Eval(in trustmodel.HopInput) string {
	t := parseProxyURL(d.url.Eval(in))
	return t.HostHeader
}
func (d dynProxyHost) Sources() []trustmodel.Source { return d.url.Sources() }
func (d dynProxyHost) String() string               { return "$proxy_host" }

// BodyLength is $proxy_internal_body_length: the request body's length
// (the client's Content-Length; the model has no body otherwise).
type BodyLength struct{}

func (BodyLength) Eval(in trustmodel.HopInput) string {
	v, _ := firstLine(in.In.Headers, "Content-Length")
	return v
}
func (BodyLength) Sources() []trustmodel.Source {
	return []trustmodel.Source{{Kind: trustmodel.SourceOpaque, Name: "$proxy_internal_body_length"}}
}
func (BodyLength) String() string { return "$proxy_internal_body_length" }

// PassengerAppend is a header Phusion Passenger adds after the client's own
// lines (X-Forwarded-For: REMOTE_ADDR; X-Forwarded-Proto: https on TLS):
// seen joined, it is the client's lines followed by Add.
type PassengerAppend struct {
	Header  string
	Add     trustmodel.Expr
	OnlyTLS bool
}

func (p PassengerAppend) Eval(in trustmodel.HopInput) string {
	lines := in.In.Headers.Lines(p.Header)
	if !p.OnlyTLS || in.In.TLS {
		if v := p.Add.Eval(in); v != "" {
			lines = append(lines, v)
		}
	}
	return strings.Join(lines, ", ")
}
func (p PassengerAppend) Sources() []trustmodel.Source {
	return mergeSources([]trustmodel.Source{{Kind: trustmodel.SourceHeader, Name: p.Header}}, p.Add.Sources())
}
func (p PassengerAppend) String() string { return "(client " + p.Header + "), " + p.Add.String() }

// ---------------------------------------------------------------------------
// map, geo, set/if

// MapExpr is a map variable evaluated in one place: exact keys
// (case-insensitive, as nginx's hash), hostnames wildcards, then regexes in
// order, then default. Its Sources are the outputs' sources, plus the map's
// source when the outputs differ (the source then chooses the value).
type MapExpr struct {
	Map    *Map
	Source trustmodel.Expr
	values []mapValue
	def    *mapValue
	// Constant: every output is the same literal.
	Constant bool
	src      []trustmodel.Source
	size     int
}

type mapValue struct {
	parts []mapPart
	text  string
}

type mapPart struct {
	expr    trustmodel.Expr
	capIdx  int // >0: $1..$9 of the entry's regex
	capName string
}

func (v *mapValue) eval(in trustmodel.HopInput, re *regexp.Regexp, groups []string) string {
	var b strings.Builder
	for _, p := range v.parts {
		switch {
		case p.capIdx > 0:
			if p.capIdx < len(groups) {
				b.WriteString(groups[p.capIdx])
			}
		case p.capName != "":
			if re != nil {
				if i := re.SubexpIndex(p.capName); i > 0 && i < len(groups) {
					b.WriteString(groups[i])
				}
			}
		default:
			b.WriteString(p.expr.Eval(in))
		}
	}
	return b.String()
}

func (m *MapExpr) Eval(in trustmodel.HopInput) string {
	v := m.Source.Eval(in)
	if m.Map.Hostnames && strings.HasSuffix(v, ".") {
		v = v[:len(v)-1]
	}
	low := strings.ToLower(v)
	for i, e := range m.Map.Entries {
		if !e.Regex && !isWildcardKey(m.Map, e.Key) && strings.ToLower(unescapeMapKey(e.Key)) == low {
			return m.values[i].eval(in, nil, nil)
		}
	}
	if m.Map.Hostnames {
		best, bestLen := -1, -1
		for i, e := range m.Map.Entries { // *.example.com / .example.com
			if e.Regex {
				continue
			}
			k := strings.ToLower(e.Key)
			var suffix string
			switch {
			case strings.HasPrefix(k, "*."):
				suffix = k[1:]
				if strings.HasSuffix(low, suffix) && len(low) > len(suffix) && len(suffix) > bestLen {
					best, bestLen = i, len(suffix)
				}
			case strings.HasPrefix(k, "."):
				suffix = k
				if (strings.HasSuffix(low, suffix) || low == k[1:]) && len(suffix) > bestLen {
					best, bestLen = i, len(suffix)
				}
			}
		}
		if best < 0 {
			for i, e := range m.Map.Entries { // www.example.*
				k := strings.ToLower(e.Key)
				if !e.Regex && strings.HasSuffix(k, ".*") {
					prefix := k[:len(k)-1]
					if strings.HasPrefix(low, prefix) && len(low) > len(prefix) && len(prefix) > bestLen {
						best, bestLen = i, len(prefix)
					}
				}
			}
		}
		if best >= 0 {
			return m.values[best].eval(in, nil, nil)
		}
	}
	if v != "" {
		for i, e := range m.Map.Entries {
			if e.Regex && e.re != nil {
				if g := e.re.FindStringSubmatch(v); g != nil {
					return m.values[i].eval(in, e.re, g)
				}
			}
		}
	}
	if m.def != nil {
		return m.def.eval(in, nil, nil)
	}
	return ""
}

func (m *MapExpr) Sources() []trustmodel.Source {
	if m.src != nil {
		return m.src
	}
	return m.sources()
}

func (m *MapExpr) sources() []trustmodel.Source {
	var src []trustmodel.Source
	all := append([]mapValue(nil), m.values...)
	if m.def != nil {
		all = append(all, *m.def)
	}
	for _, v := range all {
		for _, p := range v.parts {
			if p.capIdx > 0 || p.capName != "" {
				src = mergeSources(src, m.Source.Sources())
			} else {
				src = mergeSources(src, p.expr.Sources())
			}
		}
	}
	if !m.Constant {
		src = mergeSources(src, m.Source.Sources())
	}
	if len(src) == 0 {
		src = []trustmodel.Source{{Kind: trustmodel.SourceLiteral, Name: ""}}
	}
	return src
}

func (m *MapExpr) String() string { return "$" + m.Map.Variable }

func isWildcardKey(m *Map, k string) bool {
	return m.Hostnames && (strings.HasPrefix(k, "*.") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".*"))
}

func unescapeMapKey(k string) string {
	if strings.HasPrefix(k, `\`) {
		return k[1:]
	}
	return k
}

// GeoExpr is a geo variable: the value of the most specific network (or the
// range) containing the address, else default.
type GeoExpr struct {
	Geo      *Geo
	Source   trustmodel.Expr // nil: $remote_addr
	values   []trustmodel.Expr
	def      trustmodel.Expr
	Constant bool
	cidrs    []cidr
}

func (g *GeoExpr) Eval(in trustmodel.HopInput) string {
	text := in.ClientAddr
	if g.Source != nil {
		text = g.Source.Eval(in)
	}
	sa, ok := parseAddr(text)
	if !ok {
		sa, ok = parsePeer(text)
	}
	if !ok {
		sa = sockaddr{family: afInet, ip: [16]byte{255, 255, 255, 255}} // INADDR_NONE
	}
	if len(g.cidrs) > 0 {
		if xff := in.In.Headers.Lines("X-Forwarded-For"); len(xff) > 0 {
			if a, rc := forwardedAddr(sa, xff, false, g.cidrs, g.Geo.ProxyRecursive, true); rc != fwdDeclined {
				sa = a
			}
		}
	}
	ip := sa.ip
	fam := sa.family
	if fam == afInet6 && isV4Mapped(ip) {
		fam = afInet
		ip = [16]byte{ip[12], ip[13], ip[14], ip[15]}
	}
	best, bestBits := -1, -1
	for i, e := range g.Geo.Entries {
		if !e.ok {
			continue
		}
		if g.Geo.Ranges {
			if (fam == afInet6) == e.isV6 && between(ip, e.lo, e.hi, e.isV6) {
				best = i // later ranges override earlier ones
			}
			continue
		}
		if cidrMatch(sockaddr{family: fam, ip: ip}, []cidr{e.c}) {
			if b := maskBits(e.c); b > bestBits {
				best, bestBits = i, b
			}
		}
	}
	if best >= 0 {
		return g.values[best].Eval(in)
	}
	if g.def != nil {
		return g.def.Eval(in)
	}
	return ""
}

func between(ip, lo, hi [16]byte, v6 bool) bool {
	n := 4
	if v6 {
		n = 16
	}
	return string(ip[:n]) >= string(lo[:n]) && string(ip[:n]) <= string(hi[:n])
}

func maskBits(c cidr) int {
	n := 0
	for _, b := range c.mask {
		for ; b&0x80 != 0; b <<= 1 {
			n++
		}
	}
	return n
}

func (g *GeoExpr) Sources() []trustmodel.Source {
	var src []trustmodel.Source
	for _, v := range g.values {
		src = mergeSources(src, v.Sources())
	}
	if g.def != nil {
		src = mergeSources(src, g.def.Sources())
	}
	if !g.Constant {
		if g.Source != nil {
			src = mergeSources(src, g.Source.Sources())
		} else {
			src = mergeSources(src, []trustmodel.Source{{Kind: trustmodel.SourceClientAddr, Name: "$remote_addr"}})
		}
		if len(g.cidrs) > 0 {
			src = mergeSources(src, []trustmodel.Source{{Kind: trustmodel.SourceHeader, Name: "X-Forwarded-For"}})
		}
	}
	return src
}

func (g *GeoExpr) String() string { return "$" + g.Geo.Variable }

// IfCond is an if condition: "$var" (true unless "" or "0"), "$a = v",
// "$a != v", regex matches (~, ~*, !~, !~*). File tests (-f, -d, -e, -x)
// and anything the model cannot evaluate are false.
type IfCond struct {
	Text    string
	left    trustmodel.Expr
	op      string
	right   trustmodel.Expr
	re      *regexp.Regexp
	unknown bool
}

// Known reports whether the model can evaluate c: not a file test, a known
// operator, a valid regex. Eval of an unknown condition is false.
func (c *IfCond) Known() bool { return c != nil && !c.unknown && c.left != nil }

func (c *IfCond) Eval(in trustmodel.HopInput) bool {
	if c == nil || c.unknown || c.left == nil {
		return false
	}
	v := c.left.Eval(in)
	switch c.op {
	case "":
		return v != "" && v != "0"
	case "=":
		return v == c.right.Eval(in)
	case "!=":
		return v != c.right.Eval(in)
	case "~", "~*":
		return c.re != nil && c.re.MatchString(v)
	case "!~", "!~*":
		return c.re != nil && !c.re.MatchString(v)
	}
	return false
}

func (c *IfCond) Sources() []trustmodel.Source {
	if c == nil || c.left == nil {
		return nil
	}
	src := c.left.Sources()
	if c.right != nil {
		src = mergeSources(src, c.right.Sources())
	}
	return src
}

// CondExpr is a set variable assigned inside an if block: Then when the
// condition holds, else Else.
type CondExpr struct {
	Cond       *IfCond
	Then, Else trustmodel.Expr
}

func (c CondExpr) Eval(in trustmodel.HopInput) string {
	if c.Cond.Eval(in) {
		return c.Then.Eval(in)
	}
	return c.Else.Eval(in)
}
func (c CondExpr) Sources() []trustmodel.Source {
	return mergeSources(mergeSources(c.Then.Sources(), c.Else.Sources()), c.Cond.Sources())
}
func (c CondExpr) String() string {
	return "(if (" + c.Cond.Text + ") " + c.Then.String() + " else " + c.Else.String() + ")"
}

func mergeSources(a, b []trustmodel.Source) []trustmodel.Source {
	out := a
	for _, s := range b {
		dup := false
		for _, x := range out {
			if x == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// IsConstant reports whether e depends on nothing but the configuration,
// and its value then.
func IsConstant(e trustmodel.Expr) (string, bool) {
	for _, s := range e.Sources() {
		if s.Kind != trustmodel.SourceLiteral {
			return "", false
		}
	}
	return e.Eval(trustmodel.HopInput{}), true
}

// ---------------------------------------------------------------------------
// compiling values

type segment struct {
	lit   string
	name  string // variable name, lowercase; "" for a literal
	text  string // as written
	digit int    // $1..$9
}

// splitValue cuts an nginx value into literal text and variables, as
// ngx_http_script_compile reads them: $name, ${name}, $1..$9.
func splitValue(s string) []segment {
	var out []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			lit.WriteByte(c)
			continue
		}
		n := s[i+1]
		if n >= '1' && n <= '9' {
			flush()
			out = append(out, segment{digit: int(n - '0'), text: s[i : i+2]})
			i++
			continue
		}
		if n == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteByte(c)
				continue
			}
			name := s[i+2 : i+2+end]
			if name == "" || !isVarName(name) {
				lit.WriteByte(c)
				continue
			}
			flush()
			out = append(out, segment{name: strings.ToLower(name), text: s[i : i+3+end]})
			i += 2 + end
			continue
		}
		j := i + 1
		for j < len(s) && isVarChar(s[j]) {
			j++
		}
		if j == i+1 {
			lit.WriteByte(c)
			continue
		}
		flush()
		out = append(out, segment{name: strings.ToLower(s[i+1 : j]), text: s[i:j]})
		i = j - 1
	}
	flush()
	return out
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isVarName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isVarChar(s[i]) {
			return false
		}
	}
	return true
}

// hasVariables reports whether an nginx value contains variables.
func hasVariables(s string) bool {
	for _, seg := range splitValue(s) {
		if seg.name != "" || seg.digit > 0 {
			return true
		}
	}
	return false
}

// env is where a value is evaluated: its http context, server, proxying
// place and the set variables in effect there.
type env struct {
	b      *builder
	http   *HTTP
	server *Server
	proxy  *Proxy
	sets   map[string]trustmodel.Expr
	stack  []string
	// memo holds map and geo results built for the current set state.
	memo map[string]trustmodel.Expr
	// serverBound: a compiled value took a fact of this server into it
	// ($server_name, $server_port), so it cannot serve other servers.
	serverBound bool
}

func (e *env) with(sets map[string]trustmodel.Expr) *env {
	c := *e
	c.sets = sets
	c.memo = nil
	return &c
}

// compile turns a value into an expression.
func (e *env) compile(text string) trustmodel.Expr {
	segs := splitValue(text)
	if len(segs) == 0 {
		return trustmodel.Lit("")
	}
	var parts trustmodel.Concat
	for _, s := range segs {
		switch {
		case s.name == "" && s.digit == 0:
			parts = append(parts, trustmodel.Lit(s.lit))
		case s.digit > 0:
			parts = append(parts, clientOpaque(s.text+" (regex capture)"))
		default:
			parts = append(parts, e.variable(s.name, s.text))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return parts
}

// maxVarDepth is nginx's limit on nested variable evaluation (ngx_http_variable_depth,
// "cycle while evaluating variable" beyond it).
const maxVarDepth = 100

// variable resolves one variable name (lowercase) as nginx would: set
// variables in effect here, then map, geo, then the built-in variables.
func (e *env) variable(name, text string) trustmodel.Expr {
	if v, ok := e.sets[name]; ok {
		return v
	}
	if e.b != nil && e.b.setNames[name] {
		return Var{Name: name, Value: trustmodel.Lit("")} // set elsewhere: uninitialized here
	}
	for _, s := range e.stack {
		if s == name {
			return internalOpaque(text + " (defined in terms of itself)")
		}
	}
	if len(e.stack) >= maxVarDepth {
		return internalOpaque(text)
	}
	if e.http != nil {
		if v, ok := e.memo[name]; ok {
			return v
		}
		var built trustmodel.Expr
		if m := e.http.mapsBy[name]; m != nil {
			c := *e
			c.stack = append(append([]string(nil), e.stack...), name)
			built = c.mapExpr(m)
		} else if g := e.http.geosBy[name]; g != nil {
			c := *e
			c.stack = append(append([]string(nil), e.stack...), name)
			built = c.geoExpr(g)
		}
		if built != nil {
			if e.memo == nil {
				e.memo = map[string]trustmodel.Expr{}
			}
			e.memo[name] = built
			return built
		}
		if d := e.http.splitBy[name]; d != nil {
			return internalOpaque(text + " (split_clients)")
		}
	}
	return e.builtin(name, text)
}

func (e *env) mapExpr(m *Map) trustmodel.Expr {
	me := &MapExpr{Map: m, Source: e.compile(m.Source)}
	compileVal := func(val string, re *regexp.Regexp) mapValue {
		mv := mapValue{text: val}
		for _, s := range splitValue(val) {
			switch {
			case s.name == "" && s.digit == 0:
				mv.parts = append(mv.parts, mapPart{expr: trustmodel.Lit(s.lit)})
			case s.digit > 0:
				mv.parts = append(mv.parts, mapPart{capIdx: s.digit})
			case re != nil && re.SubexpIndex(s.name) > 0:
				mv.parts = append(mv.parts, mapPart{capName: s.name})
			default:
				mv.parts = append(mv.parts, mapPart{expr: e.variable(s.name, s.text)})
			}
		}
		if len(mv.parts) == 0 {
			mv.parts = []mapPart{{expr: trustmodel.Lit("")}}
		}
		return mv
	}
	for _, ent := range m.Entries {
		me.values = append(me.values, compileVal(ent.Value, ent.re))
	}
	if m.Default != nil {
		dv := compileVal(m.Default.Value, nil)
		me.def = &dv
	}
	me.Constant = constantOutputs(me)
	me.src = me.sources()
	me.size = exprSize(me.Source)
	for _, v := range append(append([]mapValue(nil), me.values...), derefValue(me.def)...) {
		for _, p := range v.parts {
			if p.expr != nil {
				me.size = satAdd(me.size, exprSize(p.expr))
			}
		}
	}
	if me.size > maxExprSize {
		return newVar(m.Variable, me) // opaque, sources kept
	}
	return me
}

func derefValue(v *mapValue) []mapValue {
	if v == nil {
		return nil
	}
	return []mapValue{*v}
}

func constantOutputs(m *MapExpr) bool {
	vals := append([]mapValue(nil), m.values...)
	if m.def != nil {
		vals = append(vals, *m.def)
	} else {
		vals = append(vals, mapValue{parts: []mapPart{{expr: trustmodel.Lit("")}}})
	}
	first := ""
	for i, v := range vals {
		s := ""
		for _, p := range v.parts {
			if p.capIdx > 0 || p.capName != "" {
				return false
			}
			c, ok := IsConstant(p.expr)
			if !ok {
				return false
			}
			s += c
		}
		if i == 0 {
			first = s
		} else if s != first {
			return false
		}
	}
	return true
}

func (e *env) geoExpr(g *Geo) trustmodel.Expr {
	ge := &GeoExpr{Geo: g}
	if g.Source != "" && g.Source != "$remote_addr" {
		ge.Source = e.compile(g.Source)
	}
	for _, p := range g.Proxies {
		if !p.Hostname {
			ge.cidrs = append(ge.cidrs, p.c)
		}
	}
	vals := map[string]bool{}
	for _, ent := range g.Entries {
		ge.values = append(ge.values, trustmodel.Lit(ent.Value))
		vals[ent.Value] = true
	}
	dv := ""
	if g.Default != nil {
		dv = g.Default.Value
	}
	ge.def = trustmodel.Lit(dv)
	vals[dv] = true
	ge.Constant = len(vals) == 1
	return ge
}

// compileCond compiles an if condition (crossplane has removed the
// parentheses).
func (e *env) compileCond(args []string) *IfCond {
	c := &IfCond{Text: strings.Join(args, " ")}
	if len(args) == 0 {
		c.unknown = true
		return c
	}
	if strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[0], "!-") {
		c.unknown = true // file tests
		if len(args) > 1 {
			c.left = e.compile(args[1])
		}
		return c
	}
	c.left = e.compile(args[0])
	if len(args) == 1 {
		return c
	}
	if len(args) != 3 {
		c.unknown = true
		return c
	}
	c.op = args[1]
	switch c.op {
	case "=", "!=":
		c.right = e.compile(args[2])
	case "~", "!~":
		c.re, _ = regexp.Compile(args[2])
	case "~*", "!~*":
		c.re, _ = regexp.Compile("(?i)" + args[2])
	default:
		c.unknown = true
	}
	if (c.op == "~" || c.op == "!~" || c.op == "~*" || c.op == "!~*") && c.re == nil {
		c.unknown = true
	}
	return c
}
