package lint

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// hostileInjections are the headers a hostile client adds, one replay each,
// with the value it chooses. The proto value is the opposite of the honest
// scheme, filled in per path.
var hostileInjections = []struct{ header, value string }{
	{"X-Forwarded-For", rules.SpoofedAddr},
	{"X-Forwarded-Proto", ""},
	{"X-Forwarded-Host", rules.SpoofedHost},
	{"Forwarded", "for=" + rules.SpoofedAddr + ";proto=https;host=" + rules.SpoofedHost},
	{"X-Real-IP", rules.SpoofedAddr},
	{"Host", rules.SpoofedHost},
}

// buildPaths enumerates every public entry point × every nginx place that
// reaches the app, and replays the honest and hostile clients through each.
// Places whose connecting address nobody can know (a remote upstream, with
// no nginx.connects_from) are left out and counted in unknownPeer.
func buildPaths(ng *nginxconf.Config, cfg *trustmodel.Config, app rules.AppInfo) (paths []*rules.Path, unknownPeer int) {
	var edge []trustmodel.EdgeSpec
	var nginxDirect *bool
	connectsFrom := ""
	if cfg != nil {
		edge = cfg.Edge
		nginxDirect = cfg.Nginx.ReachableDirectly
		connectsFrom = cfg.Nginx.ConnectsFrom
	}
	reachNginx := len(edge) == 0
	if nginxDirect != nil {
		reachNginx = *nginxDirect
	}
	for _, px := range ng.Proxies() {
		if px.Module != "proxy" {
			continue // FastCGI, uwsgi, gRPC and SCGI apps do not read HTTP forwarding headers
		}
		hop := px.Hop
		switch {
		case connectsFrom != "":
			hop.Addr = connectsFrom
		case px.FromKind == nginxconf.ConnectUnknown:
			unknownPeer++
			continue
		default:
			hop.Addr = connectAddr(px, app.Spec.Listen)
		}
		hop.Addr = peerAtApp(app.Spec.Listen, hop.Addr)
		hop.Name = "nginx " + placeName(px)
		tls := serverTLS(px.Server)
		host := serverHost(px.Server)
		url := fmt.Sprintf("%s://%s%s", scheme(tls || len(edge) > 0), host, locationURI(px.Location))
		if len(edge) > 0 {
			hops := make([]trustmodel.Hop, 0, len(edge)+1)
			for i := range edge {
				intoNginx := i == len(edge)-1
				hops = append(hops, edge[i].Hop(intoNginx && tls))
			}
			hops = append(hops, hop)
			names := make([]string, len(edge))
			for i, e := range edge {
				names[i] = e.Name
			}
			paths = append(paths, replayPath(app, &rules.Path{
				Path:    trustmodel.Path{Entry: "client -> " + strings.Join(names, " -> ") + " -> " + hop.Name + " -> app", Hops: hops},
				Kind:    rules.EntryEdge,
				Proxy:   px,
				Proxies: len(hops),
				URL:     url,
			}, true, host))
		}
		if reachNginx {
			paths = append(paths, replayPath(app, &rules.Path{
				Path:    trustmodel.Path{Entry: "client -> " + hop.Name + " -> app", Hops: []trustmodel.Hop{hop}},
				Kind:    rules.EntryNginx,
				Proxy:   px,
				Proxies: 1,
				URL:     fmt.Sprintf("%s://%s%s", scheme(tls), host, locationURI(px.Location)),
			}, tls, host))
		}
	}
	if appReachable(app.Spec) {
		paths = append(paths, replayPath(app, &rules.Path{
			Path: trustmodel.Path{Entry: "client -> app (" + app.Spec.Listen + ")"},
			Kind: rules.EntryApp,
			URL:  directURL(app.Spec.Listen),
		}, false, "app.example"))
	}
	return paths, unknownPeer
}

// connectAddr is the address the app sees nginx connect from: of nginx's
// candidates (localhost resolves to both families), the first one the app's
// listening socket accepts. nginx tries the upstream's addresses in order and
// a refused one fails over to the next.
func connectAddr(px *nginxconf.Proxy, listen string) string {
	l, err := trustmodel.ParseListen(listen)
	if err != nil || listen == "" || !l.Addr.IsValid() {
		return px.Hop.Addr
	}
	for _, c := range px.ConnectFrom {
		a, err := netip.ParseAddr(c)
		if err != nil {
			continue
		}
		if l.Addr.IsUnspecified() || a.Unmap().Is4() == l.Addr.Unmap().Is4() {
			return c
		}
	}
	return px.Hop.Addr
}

// peerAtApp is the address the app's socket reports for a peer: Node's
// listen(port) without a host binds the dual-stack "::", where an IPv4 peer
// shows as ::ffff:a.b.c.d (and that is what the trust setting is asked about).
func peerAtApp(listen, peer string) string {
	l, err := trustmodel.ParseListen(listen)
	if listen == "" || err != nil || !l.Addr.Is6() || !l.Addr.IsUnspecified() {
		return peer
	}
	a, err := netip.ParseAddr(peer)
	if err != nil || !a.Is4() {
		return peer
	}
	return netip.AddrFrom16(a.As16()).String()
}

// directURL is the URL a client uses to reach the app's listen address.
func directURL(listen string) string {
	l, err := trustmodel.ParseListen(listen)
	if err != nil || l.Unix != "" {
		return "http://app.example/"
	}
	host := "app.example"
	if !l.Addr.IsUnspecified() {
		host = l.Addr.String()
		if l.Addr.Is6() && !l.Addr.Is4In6() {
			host = "[" + host + "]"
		}
	}
	return fmt.Sprintf("http://%s:%d/", host, l.Port)
}

func appReachable(a trustmodel.AppSpec) bool {
	if a.ReachableDirectly != nil {
		return *a.ReachableDirectly
	}
	if a.Listen == "" {
		return false
	}
	l, err := trustmodel.ParseListen(a.Listen)
	return err == nil && l.Public()
}

// replayPath sends the honest client and each hostile client through p.
func replayPath(app rules.AppInfo, p *rules.Path, tls bool, host string) *rules.Path {
	honest := trustmodel.Request{Peer: rules.HonestClient, TLS: tls, Headers: trustmodel.Header{{Name: "Host", Value: host}}}
	p.Honest = replay(app, p, "", "", honest)
	for _, inj := range hostileInjections {
		val := inj.value
		if inj.header == "X-Forwarded-Proto" {
			val = scheme(!tls)
		}
		if inj.header == "Host" && p.Proxy != nil && !p.Proxy.Server.AcceptsAnyHost() {
			continue // nginx hands a Host this server is not named for to another server
		}
		req := honest
		if inj.header == "Host" {
			req.Headers = trustmodel.Header{{Name: "Host", Value: val}}
		} else {
			req.Headers = append(trustmodel.Header{{Name: inj.header, Value: val}}, honest.Headers...)
		}
		p.Hostile = append(p.Hostile, replay(app, p, inj.header, val, req))
	}
	return p
}

func replay(app rules.AppInfo, p *rules.Path, header, val string, client trustmodel.Request) rules.Replay {
	r := rules.Replay{Inject: header, Value: val, Client: client, AtApp: p.Replay(client)}
	r.AtApp.Peer = peerAtApp(app.Spec.Listen, r.AtApp.Peer)
	if app.Evaluator != nil {
		r.Result = app.Evaluator.Evaluate(r.AtApp)
	}
	return r
}

func scheme(tls bool) string {
	if tls {
		return "https"
	}
	return "http"
}

// placeName names a proxying place for paths: "server app.example:443 location /api".
func placeName(px *nginxconf.Proxy) string {
	var b strings.Builder
	b.WriteString("(server ")
	b.WriteString(serverHost(px.Server))
	if len(px.Server.Listens) > 0 {
		fmt.Fprintf(&b, ":%d", px.Server.Listens[0].Port)
	}
	if px.Location != nil {
		b.WriteString(", location ")
		if px.Location.Modifier != "" {
			b.WriteString(px.Location.Modifier + " ")
		}
		b.WriteString(px.Location.Match)
	}
	b.WriteString(")")
	return b.String()
}

func serverTLS(s *nginxconf.Server) bool { return s.SSL() }

// serverHost is the name an honest client asks for: the server's first
// plain name, else app.example.
func serverHost(s *nginxconf.Server) string {
	for _, n := range s.Names {
		if n != "" && n != "_" && !strings.ContainsAny(n, "*~") && n != "localhost" {
			return n
		}
	}
	return "app.example"
}

// locationURI is a URI the location serves.
func locationURI(l *nginxconf.Location) string {
	if l == nil || l.Modifier == "~" || l.Modifier == "~*" || l.Modifier == "@" || !strings.HasPrefix(l.Match, "/") {
		return "/"
	}
	return l.Match
}
