package trustmodel

import "strings"

// Lit is a fixed value.
type Lit string

func (l Lit) Eval(HopInput) string { return string(l) }
func (l Lit) Sources() []Source    { return []Source{{Kind: SourceLiteral, Name: string(l)}} }
func (l Lit) String() string       { return string(l) }

// ClientAddr is the hop's view of the client address (nginx $remote_addr).
type ClientAddr struct{ Text string }

func (c ClientAddr) Eval(in HopInput) string { return in.ClientAddr }
func (c ClientAddr) Sources() []Source       { return []Source{{Kind: SourceClientAddr, Name: c.Text}} }
func (c ClientAddr) String() string          { return c.Text }

// AppendXFF is every incoming X-Forwarded-For line joined with ", ", then the
// client address appended (nginx $proxy_add_x_forwarded_for; Cloudflare and
// ALB "append"). An empty incoming line still contributes its ", ".
type AppendXFF struct{ Text string }

func (a AppendXFF) Eval(in HopInput) string {
	lines := in.In.Headers.Lines("X-Forwarded-For")
	if len(lines) == 0 {
		return in.ClientAddr
	}
	return strings.Join(lines, ", ") + ", " + in.ClientAddr
}
func (a AppendXFF) Sources() []Source {
	return []Source{{Kind: SourceHeader, Name: "X-Forwarded-For"}, {Kind: SourceClientAddr, Name: a.Text}}
}
func (a AppendXFF) String() string { return a.Text }

// Scheme is "https" when the incoming connection is TLS, else "http".
type Scheme struct{ Text string }

func (s Scheme) Eval(in HopInput) string {
	if in.In.TLS {
		return "https"
	}
	return "http"
}
func (s Scheme) Sources() []Source { return []Source{{Kind: SourceScheme, Name: s.Text}} }
func (s Scheme) String() string    { return s.Text }

// RequestHeader is an incoming header's lines joined with ", " ("; " for
// Cookie), or "" when absent (nginx $http_NAME since 1.23.0).
type RequestHeader struct {
	Header string
	Text   string
}

func (r RequestHeader) Eval(in HopInput) string {
	sep := ", "
	if strings.EqualFold(r.Header, "Cookie") {
		sep = "; "
	}
	return strings.Join(in.In.Headers.Lines(r.Header), sep)
}
func (r RequestHeader) Sources() []Source { return []Source{{Kind: SourceHeader, Name: r.Header}} }
func (r RequestHeader) String() string    { return r.Text }

// Concat is several values written one after another ("$scheme://$host").
type Concat []Expr

func (c Concat) Eval(in HopInput) string {
	var b strings.Builder
	for _, e := range c {
		b.WriteString(e.Eval(in))
	}
	return b.String()
}
func (c Concat) Sources() []Source {
	var out []Source
	for _, e := range c {
		out = append(out, e.Sources()...)
	}
	return out
}
func (c Concat) String() string {
	var b strings.Builder
	for _, e := range c {
		b.WriteString(e.String())
	}
	return b.String()
}
