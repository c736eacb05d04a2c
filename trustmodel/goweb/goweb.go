// Package goweb evaluates Go web frameworks behind a proxy: gin 1.x
// (Context.ClientIP), echo 4 (Context.RealIP, Scheme, IsTLS) and chi 5
// (middleware.RealIP). Go's own parsers decide, called exactly as each
// framework calls them (net.ParseIP, net.SplitHostPort, net.ParseCIDR,
// net.IPNet.Contains), and the request reaches them as net/http's server
// presents it: r.RemoteAddr is the peer's "host:port" ("@" over a UNIX
// socket), repeated header lines stay separate values (Header.Get gives the
// first, Header.Values all), and r.Host is the Host line ("" without one).
package goweb

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// New configures app.Framework (gin, echo or chi) the way the app does.
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	switch strings.ToLower(app.Framework) {
	case "gin":
		return newGin(app)
	case "echo":
		return newEcho(app)
	case "chi":
		return newChi(app)
	}
	return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("goweb: unknown framework %q", app.Framework)}
}

// peerPort stands for the port the peer connects from: no framework here
// decides anything by it, and trustcheck does not model it.
const peerPort = "40000"

// remoteAddr is r.RemoteAddr as net/http's server sets it from the
// connection: the peer's address and port, or "@" for a UNIX socket's
// peer (Peer ""), which has no name on Linux.
func remoteAddr(req trustmodel.Request) string {
	if req.Peer == "" {
		return "@"
	}
	return net.JoinHostPort(req.Peer, peerPort)
}

// unixPeer reports whether the request came over a UNIX socket (gin 1.12
// reads that from http.LocalAddrContextKey).
func unixPeer(req trustmodel.Request) bool { return req.Peer == "" }

// headerGet is http.Header.Get: the first line's value, "" when none.
func headerGet(h trustmodel.Header, name string) string {
	for _, l := range h {
		if strings.EqualFold(l.Name, name) {
			return l.Value
		}
	}
	return ""
}

// hostFields are r.Host (the Host line; net/http's server refuses a
// second one, and an HTTP/1.0 request may have none) and url.URL's
// Hostname() of it.
func hostFields(req trustmodel.Request) (host, hostname *string) {
	h := headerGet(req.Headers, "Host")
	name := (&url.URL{Host: h}).Hostname()
	return &h, &name
}

// hostOnly is what an app reading r.RemoteAddr takes as the address: the
// host of "host:port", or all of it when it is not one (a bare IP that
// chi's RealIP stored, "@"). The peer's port is not modelled.
func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// minorVersion reads "1", "1.12" or "1.12.0" for major "1": the minor
// version, or def for the bare major; ok is false for another major.
func minorVersion(v, major string, def int) (minor, patch int, ok bool) {
	if v == "" || v == major {
		return def, -1, true
	}
	rest, found := strings.CutPrefix(v, major+".")
	if !found {
		return 0, 0, false
	}
	m, p, hasPatch := strings.Cut(rest, ".")
	minor, err := strconv.Atoi(m)
	if err != nil || minor < 0 {
		return 0, 0, false
	}
	patch = -1
	if hasPatch {
		if patch, err = strconv.Atoi(p); err != nil || patch < 0 {
			return 0, 0, false
		}
	}
	return minor, patch, true
}

// checkOptions rejects option names the framework does not have.
func checkOptions(fw string, opts map[string]any, known ...string) error {
	var bad []string
	for k := range opts {
		found := false
		for _, n := range known {
			found = found || k == n
		}
		if !found {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	knownList := "none"
	if len(known) > 0 {
		knownList = strings.Join(known, ", ")
	}
	return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: unknown option %q for %s (known: %s)", bad[0], fw, knownList)}
}

// stringList reads a YAML/JSON list of strings; null is a nil list.
func stringList(what string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		if s, isStrs := v.([]string); isStrs {
			return s, nil
		}
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("%s: want a list of strings, got %s", what, describe(v))}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("%s: want a list of strings, got the element %s", what, describe(e))}
		}
		out = append(out, s)
	}
	return out, nil
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

func str(s string) *string { return &s }

// goList renders a []string literal.
func goList(items []string) string {
	if items == nil {
		return "nil"
	}
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

// anyList is items as a decoded YAML/JSON list.
func anyList(items []string) []any {
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

// explainer records the steps of a walk when the app asks to explain it
// (simulate's text); lint's replays skip them.
type explainer struct{ explain bool }

func (x explainer) step(r *trustmodel.Result, s trustmodel.Step) {
	if x.explain {
		r.Steps = append(r.Steps, s)
	}
}
