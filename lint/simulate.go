package lint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

// SimCase is one request through one evaluator: the `simulate --batch`
// input line, and the shape of the recorded truth vectors.
type SimCase struct {
	Framework  string           `json:"framework"`
	Version    string           `json:"version"`
	TrustProxy json.RawMessage  `json:"trust_proxy,omitempty"`
	Peer       *string          `json:"peer"`
	TLS        bool             `json:"tls"`
	Headers    [][2]string      `json:"headers"`
	Options    map[string]any   `json:"options,omitempty"`
	Server     map[string]any   `json:"server,omitempty"`
	Middleware []map[string]any `json:"middleware,omitempty"`
	// ClientIPFrom is trustcheck.yaml's client_ip_from.
	ClientIPFrom string      `json:"client_ip_from,omitempty"`
	Session      *SimSession `json:"session,omitempty"`
}

// SimSession is express-session's cookie.secure and proxy options.
type SimSession struct {
	CookieSecure any   `json:"cookie_secure"`
	Proxy        *bool `json:"proxy"`
}

// SimOutput is one `simulate --format json` / `--batch` output line.
type SimOutput struct {
	IP       *string   `json:"ip"`
	IPs      []*string `json:"ips"`
	Protocol *string   `json:"protocol"`
	Secure   *bool     `json:"secure"`
	Host     *string   `json:"host"`
	Hostname *string   `json:"hostname"`
	// Raised maps a field to the exception its accessor raises (SPEC §3.1).
	Raised        map[string]string `json:"raised,omitempty"`
	SessionCookie string            `json:"session_cookie,omitempty"`
}

// SimError is the output line when the framework rejects its configuration.
type SimError struct {
	Error string `json:"error"`
}

// App returns the evaluator configuration the case describes.
func (c *SimCase) App() (trustmodel.App, error) {
	app := trustmodel.App{Framework: c.Framework, Version: c.Version, Options: c.Options, Server: c.Server, Middleware: c.Middleware, ClientIPFrom: c.ClientIPFrom}
	if len(c.TrustProxy) > 0 {
		if err := json.Unmarshal(c.TrustProxy, &app.TrustProxy); err != nil {
			return app, fmt.Errorf("trust_proxy: %v", err)
		}
		app.TrustProxySet = true
	}
	if c.Session != nil {
		app.Session = &trustmodel.Session{CookieSecure: c.Session.CookieSecure, Proxy: c.Session.Proxy}
	}
	return app, nil
}

// Request returns the request the case sends, its header values as they
// arrive after HTTP parsing.
func (c *SimCase) Request() trustmodel.Request {
	req := trustmodel.Request{TLS: c.TLS}
	if c.Peer != nil {
		req.Peer = *c.Peer
	}
	for _, h := range c.Headers {
		// The HTTP parser drops the whitespace around a field value before
		// any framework sees it.
		req.Headers = append(req.Headers, trustmodel.HeaderLine{Name: h[0], Value: strings.Trim(h[1], " \t")})
	}
	return req
}

// Simulate evaluates one case: the output line, or the framework's own error.
func Simulate(app trustmodel.App, req trustmodel.Request) (any, trustmodel.Result, trustmodel.Evaluator) {
	app.Explain = true // WriteSimulation prints the walk
	ev, err := frameworks.New(app)
	if err != nil {
		return SimError{Error: err.Error()}, trustmodel.Result{}, nil
	}
	r := ev.Evaluate(req)
	out := SimOutput{IP: r.IP, IPs: r.IPs, Protocol: r.Protocol, Host: r.Host, Hostname: r.Hostname, Secure: r.Secure, Raised: r.Raised, SessionCookie: r.SessionCookie}
	return out, r, ev
}

// SimulateBatch reads SimCase JSON lines from in and writes one output line
// per case. It returns how many cases it evaluated; a line that is not a
// valid case is an input error naming the line.
func SimulateBatch(name string, in io.Reader, out io.Writer) (int, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var c SimCase
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return n, fmt.Errorf("%s:%d: invalid case: %v", name, line, err)
		}
		app, err := c.App()
		if err != nil {
			return n, fmt.Errorf("%s:%d: invalid case: %v", name, line, err)
		}
		res, _, _ := Simulate(app, c.Request())
		if err := enc.Encode(res); err != nil {
			return n, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("%s: %v", name, err)
	}
	return n, nil
}

// WriteSimulation renders one simulated request for a person: the request,
// every address the evaluator walked, and the resulting values, named the
// way the app reads them (SPEC §3.1).
func WriteSimulation(w io.Writer, ev trustmodel.Evaluator, req trustmodel.Request, r trustmodel.Result) {
	names := accessorNamesOf(ev)
	fmt.Fprintf(w, "%s, trust: %s\n", ev.Name(), ev.Trust())
	scheme := "http"
	if req.TLS {
		scheme = "https"
	}
	peer := req.Peer
	if peer == "" {
		peer = "a UNIX socket (no peer address)"
	}
	fmt.Fprintf(w, "request from %s over %s\n", peer, scheme)
	for _, h := range req.Headers {
		fmt.Fprintf(w, "  %s: %s\n", h.Name, h.Value)
	}
	fmt.Fprintln(w)
	if len(r.Steps) > 0 {
		fmt.Fprintln(w, "addresses the framework looked at (hop 0 is the peer that connected; hop N the Nth entry from the right):")
		width := 0
		for _, s := range r.Steps {
			width = max(width, len(s.Addr))
		}
		for _, s := range r.Steps {
			verdict := "untrusted"
			switch {
			case !s.Tested:
				verdict = "used"
			case s.Trusted:
				verdict = "trusted"
			}
			addr := s.Addr
			if s.Hop == 0 && addr == "" {
				addr = "(unix)"
			}
			fmt.Fprintf(w, "  hop %d  %-*s  %-9s  %s\n", s.Hop, width, addr, verdict, s.Why)
		}
		fmt.Fprintln(w)
	}
	if why := ipReason(names.framework, r); why != "" {
		fmt.Fprintf(w, "%s\n\n", why)
	}
	var lines [][2]string
	show := func(field string, v *string) {
		switch {
		case !names.has(field):
		case r.Raised[field] != "":
			lines = append(lines, [2]string{names.label(field), "raises " + r.Raised[field]})
		case v == nil:
			lines = append(lines, [2]string{names.label(field), names.null()})
		default:
			lines = append(lines, [2]string{names.label(field), *v})
		}
	}
	show("ip", r.IP)
	if r.IPs != nil {
		parts := make([]string, len(r.IPs))
		for i, ip := range r.IPs {
			parts[i] = names.null()
			if ip != nil {
				parts[i] = *ip
			}
		}
		lines = append(lines, [2]string{names.label("ips"), "[" + strings.Join(parts, ", ") + "]"})
	}
	show("protocol", r.Protocol)
	switch {
	case !names.has("secure"):
	case r.Raised["secure"] != "":
		lines = append(lines, [2]string{names.label("secure"), "raises " + r.Raised["secure"]})
	case r.Secure != nil:
		lines = append(lines, [2]string{names.label("secure"), fmt.Sprint(*r.Secure)})
	}
	show("host", r.Host)
	show("hostname", r.Hostname)
	width := 0
	for _, l := range lines {
		width = max(width, len(l[0]))
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%-*s = %s\n", width, l[0], l[1])
	}
	if !names.has("protocol") {
		fmt.Fprintf(w, "(%s has no scheme accessor: protocol and secure are null)\n", names.framework)
	}
	if r.SessionCookie != "" {
		fmt.Fprintf(w, "session cookie: %s\n", r.SessionCookie)
	}
	if rej := r.Raised["request"]; rej != "" {
		fmt.Fprintf(w, "the request never reaches the app's accessors: %s answers it (%s)\n", ev.Name(), rej)
	}
}

// accessorNames names result fields the way an app of one framework reads
// them (SPEC §3.1's accessors), for simulate's and paths' text and diagrams.
type accessorNames struct{ framework, clientIPFrom string }

// accessorNamesOf names the fields of the evaluator's framework.
func accessorNamesOf(ev trustmodel.Evaluator) accessorNames {
	if ev == nil {
		return accessorNames{framework: "express"}
	}
	fw, _, _ := strings.Cut(ev.Name(), " ")
	return accessorNames{framework: strings.TrimSuffix(fw, ","), clientIPFrom: trustmodel.ClientIPFrom(ev)}
}

func (a accessorNames) label(field string) string {
	return trustmodel.FieldName(a.framework, a.clientIPFrom, field)
}
func (a accessorNames) has(field string) bool { return trustmodel.HasAccessor(a.framework, field) }
func (a accessorNames) null() string          { return trustmodel.NullWord(a.framework) }

// ipReason says in one sentence why a proxy-addr-style walk ended where it
// did; the other ecosystems' walks end for their own reasons, which their
// steps give.
func ipReason(framework string, r trustmodel.Result) string {
	if len(r.Steps) == 0 || r.IP == nil || !trustmodel.NodeFramework(framework) && framework != "proxy-addr" && framework != "request-ip" {
		return ""
	}
	last := r.Steps[len(r.Steps)-1]
	switch {
	case len(r.Steps) == 1 && !last.Tested:
		return fmt.Sprintf("The client address is %s: no forwarded address follows the socket.", last.Addr)
	case !last.Tested:
		return fmt.Sprintf("The client address is %s: every address before it is trusted, so the leftmost X-Forwarded-For entry wins, whoever wrote it.", last.Addr)
	case !last.Trusted:
		return fmt.Sprintf("The client address is %s: the first untrusted address walking out from the socket.", last.Addr)
	}
	return ""
}
