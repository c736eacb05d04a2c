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
// every address the evaluator walked, and the resulting values.
func WriteSimulation(w io.Writer, ev trustmodel.Evaluator, req trustmodel.Request, r trustmodel.Result) {
	if writeGowebSimulation(w, ev, req, r) {
		return
	}
	prefix := propPrefix(ev.Name())
	fmt.Fprintf(w, "%s, trust: %s\n", ev.Name(), ev.Trust())
	scheme := "http"
	if req.TLS {
		scheme = "https"
	}
	peer := req.Peer
	if peer == "" {
		peer = "(unknown)"
	}
	fmt.Fprintf(w, "request from %s over %s\n", peer, scheme)
	for _, h := range req.Headers {
		fmt.Fprintf(w, "  %s: %s\n", h.Name, h.Value)
	}
	fmt.Fprintln(w)
	if len(r.Steps) > 0 {
		fmt.Fprintln(w, "addresses, from the socket outwards (hop 0 is the peer that connected):")
		width := 0
		for _, s := range r.Steps {
			width = max(width, len(s.Addr))
		}
		for _, s := range r.Steps {
			verdict := "untrusted"
			switch {
			case !s.Tested:
				verdict = "last"
			case s.Trusted:
				verdict = "trusted"
			}
			fmt.Fprintf(w, "  hop %d  %-*s  %-9s  %s\n", s.Hop, width, s.Addr, verdict, s.Why)
		}
		fmt.Fprintln(w)
	}
	// Python's evaluators explain their pick in the steps themselves:
	// ProxyFix counts from the right and never walks to the leftmost entry.
	if why := ipReason(ev.Name(), r); why != "" && !isPython(ev.Name()) {
		fmt.Fprintf(w, "%s\n\n", why)
	}
	names, _ := ev.(accessorNamer)
	label := func(field string) string {
		if names != nil {
			if n, ok := names.AccessorNames()[field]; ok {
				return fmt.Sprintf("%-24s", n)
			}
		}
		return fmt.Sprintf("%s%-9s", prefix, field)
	}
	undefined := "undefined"
	switch {
	case names != nil:
		undefined = names.AccessorNames()["null"]
	case isPython(ev.Name()):
		undefined = "None"
	}
	show := func(name string, v *string) {
		switch {
		case r.Raised[name] != "":
			fmt.Fprintf(w, "%s = raises %s\n", label(name), r.Raised[name])
		case v == nil:
			fmt.Fprintf(w, "%s = %s\n", label(name), undefined)
		default:
			fmt.Fprintf(w, "%s = %s\n", label(name), *v)
		}
	}
	show("ip", r.IP)
	if r.IPs != nil {
		parts := make([]string, len(r.IPs))
		for i, ip := range r.IPs {
			if ip == nil {
				parts[i] = "undefined"
			} else {
				parts[i] = *ip
			}
		}
		fmt.Fprintf(w, "%s%-9s = [%s]\n", prefix, "ips", strings.Join(parts, ", "))
	}
	show("protocol", r.Protocol)
	switch {
	case r.Raised["secure"] != "":
		fmt.Fprintf(w, "%s = raises %s\n", label("secure"), r.Raised["secure"])
	case r.Secure != nil:
		fmt.Fprintf(w, "%s = %t\n", label("secure"), *r.Secure)
	}
	show("host", r.Host)
	show("hostname", r.Hostname)
	if r.SessionCookie != "" {
		fmt.Fprintf(w, "session cookie: %s\n", r.SessionCookie)
	}
	if rej := r.Raised["request"]; rej != "" {
		fmt.Fprintf(w, "the request never reaches the app's accessors: %s answers it (%s)\n", ev.Name(), rej)
	}
}

// isPython reports an evaluator of trustmodel/python, whose absent values are None.
func isPython(evaluator string) bool {
	for _, p := range []string{"flask", "django", "fastapi"} {
		if strings.HasPrefix(evaluator, p) {
			return true
		}
	}
	return false
}

// accessorNamer is an evaluator that names the accessors of SPEC §3.1 in its
// framework's own terms ("request.remote_ip", "$request->getClientIp()"),
// keyed by field, and its language's null under "null".
type accessorNamer interface {
	AccessorNames() map[string]string
}

func propPrefix(evaluator string) string {
	switch {
	case strings.HasPrefix(evaluator, "fastify"):
		return "request."
	case strings.HasPrefix(evaluator, "koa"):
		return "ctx."
	case strings.HasPrefix(evaluator, "proxy-addr"):
		return ""
	case strings.HasPrefix(evaluator, "spring-boot"):
		return "request." // HttpServletRequest
	case strings.HasPrefix(evaluator, "aspnetcore"):
		return "context." // HttpContext
	case isPython(evaluator):
		return "request."
	}
	return "req."
}

// ipReason says in one sentence why the walk ended where it did.
func ipReason(evaluator string, r trustmodel.Result) string {
	if len(r.Steps) == 0 || r.IP == nil {
		return ""
	}
	last := r.Steps[len(r.Steps)-1]
	if strings.HasPrefix(evaluator, "spring-boot") || strings.HasPrefix(evaluator, "aspnetcore") {
		// These walks end for their own reasons, which the last step gives.
		if last.Trusted {
			return ""
		}
		return fmt.Sprintf("The client address is %s: %s.", *r.IP, last.Why)
	}
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
