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
// reaches the app (the proxies it claims); the paths replay the honest and
// hostile clients when a rule asks.
// Places whose connecting address nobody can know (a remote upstream, with
// no nginx.connects_from) are left out and counted in unknownPeer.
func buildPaths(ng *nginxconf.Config, cfg *trustmodel.Config, app rules.AppInfo) (paths []*rules.Path, unknownPeer int) {
	pb := newPathBuilder(cfg, app)
	proxies := ng.Proxies()
	if len(app.Spec.Upstreams) > 0 {
		var claimed []*nginxconf.Proxy
		for _, px := range proxies {
			if claims(&app.Spec, px) {
				claimed = append(claimed, px)
			}
		}
		proxies = claimed
	}
	paths, unknownPeer = pb.through(proxies)
	return append(paths, pb.direct()...), unknownPeer
}

// pathBuilder builds the paths through any run of proxies, the same way
// for each: lint builds a fleet's paths a part at a time.
type pathBuilder struct {
	app          rules.AppInfo
	edge         []trustmodel.EdgeSpec
	connectsFrom string
	reachNginx   bool
	socket       appSocket
	clients      *replayer
}

func newPathBuilder(cfg *trustmodel.Config, app rules.AppInfo) *pathBuilder {
	pb := &pathBuilder{app: app, socket: parseAppSocket(app.Spec.Listen, app.Spec.Framework)}
	var nginxDirect *bool
	if cfg != nil {
		pb.edge = cfg.Edge
		nginxDirect = cfg.Nginx.ReachableDirectly
		pb.connectsFrom = cfg.Nginx.ConnectsFrom
	}
	pb.clients = &replayer{app: app, socket: pb.socket}
	pb.reachNginx = len(pb.edge) == 0
	if nginxDirect != nil {
		pb.reachNginx = *nginxDirect
	}
	return pb
}

// through builds the paths through proxies, in their order.
func (pb *pathBuilder) through(proxies []*nginxconf.Proxy) (paths []*rules.Path, unknownPeer int) {
	edge := pb.edge
	for _, px := range proxies {
		if !reachesApp(px) {
			continue
		}
		hop := px.Hop
		gateway := hop.Gateway != nil
		switch {
		case gateway:
			// The app's peer is the REMOTE_ADDR param, not nginx's address.
		case pb.connectsFrom != "":
			hop.Addr = pb.connectsFrom
		case px.FromKind == nginxconf.ConnectUnknown:
			unknownPeer++
			continue
		default:
			hop.Addr = pb.socket.connectAddr(px)
		}
		if !gateway {
			hop.Addr = pb.socket.peer(hop.Addr)
		}
		hop.Name = "nginx " + placeName(px)
		toApp := " -> app"
		if gateway {
			toApp = " -> app (" + px.Directive.Name + " " + px.URL + ")"
		}
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
			paths = append(paths, &rules.Path{
				Path:    trustmodel.Path{Entry: "client -> " + strings.Join(names, " -> ") + " -> " + hop.Name + toApp, Hops: hops},
				Kind:    rules.EntryEdge,
				Proxy:   px,
				Proxies: len(hops),
				URL:     url,
				TLS:     true,
				Host:    host,
				Clients: pb.clients,
			})
		}
		if pb.reachNginx {
			from := ""
			if px.Location != nil {
				if access := px.Location.Access(); !nginxconf.Admits(access, rules.HonestClient) {
					// nginx serves this location to some clients only: replay
					// from one of them.
					if from = nginxconf.AdmittedAddr(access); from == "" {
						continue
					}
				}
			}
			paths = append(paths, &rules.Path{
				From:    from,
				Path:    trustmodel.Path{Entry: "client -> " + hop.Name + toApp, Hops: []trustmodel.Hop{hop}},
				Kind:    rules.EntryNginx,
				Proxy:   px,
				Proxies: 1,
				URL:     fmt.Sprintf("%s://%s%s", scheme(tls), host, locationURI(px.Location)),
				TLS:     tls,
				Host:    host,
				Clients: pb.clients,
			})
		}
	}
	for _, p := range paths {
		if p.Proxy.Hop.Gateway != nil {
			// The peer the app sees is the REMOTE_ADDR param: the honest
			// client's address as nginx has it, which is what the app's
			// trust is asked about.
			p.Hops[len(p.Hops)-1].Addr = p.Path.Replay(p.Client()).Peer
		}
	}
	return paths, unknownPeer
}

// reachesApp reports a place whose app reads forwarding headers: one
// nginx proxies HTTP to, or hands over FastCGI, uwsgi or SCGI (the
// environment's HTTP_* params); not gRPC or Passenger.
func reachesApp(px *nginxconf.Proxy) bool {
	return px.Module == "proxy" || px.Hop.Gateway != nil
}

// direct is the path of a client reaching the app without nginx, when it can.
func (pb *pathBuilder) direct() []*rules.Path {
	if !appReachable(pb.app.Spec) {
		return nil
	}
	paths := []*rules.Path{{
		Path:    trustmodel.Path{Entry: "client -> app (" + pb.app.Spec.Listen + ")"},
		Kind:    rules.EntryApp,
		URL:     directURL(pb.app.Spec.Listen),
		Host:    "app.example",
		Clients: pb.clients,
	}}
	if lan := pb.lanClient(); lan != "" {
		paths = append(paths, &rules.Path{
			Path:    trustmodel.Path{Entry: "client on the app's network (" + lan + ") -> app (" + pb.app.Spec.Listen + ")"},
			Kind:    rules.EntryApp,
			URL:     directURL(pb.app.Spec.Listen),
			Host:    "app.example",
			From:    lan,
			Clients: pb.clients,
		})
	}
	return paths
}

// lanAddrs are where a neighbour of the app may connect from: a home or
// office LAN, a cloud VPC, a container network, link-local; each family
// in that order.
var lanAddrs = []string{"192.168.1.50", "10.0.0.50", "172.17.0.50", "169.254.1.50", "fd00::50", "fe80::50"}

// lanClient is the first neighbour address the app trusts as a proxy
// (SPEC §3: a trust setting covering private or link-local ranges, with
// the app published beyond loopback); "" when it trusts none.
func (pb *pathBuilder) lanClient() string {
	ev := pb.app.Evaluator
	if ev == nil {
		return ""
	}
	if ok, _ := ev.Trust().Trusts(pb.socket.peer(rules.HonestClient), 0); ok {
		return "" // a public client is trusted too, and shows it already
	}
	for _, a := range lanAddrs {
		if pb.socket.addr.IsValid() && pb.socket.addr.Is4() && strings.Contains(a, ":") {
			continue // an IPv4 socket takes no IPv6 client
		}
		if ok, _ := ev.Trust().Trusts(pb.socket.peer(a), 0); ok {
			return a
		}
	}
	return ""
}

// appSocket is the app's listening socket, parsed once for every path.
type appSocket struct {
	addr      netip.Addr // invalid when unknown or a UNIX socket
	plainIPv4 bool       // trustmodel.Listen.PlainIPv4
}

func parseAppSocket(listen, framework string) appSocket {
	l, err := trustmodel.ParseListen(listen)
	if err != nil || listen == "" {
		return appSocket{}
	}
	return appSocket{addr: l.Addr, plainIPv4: trustmodel.PlainIPv4Peers(framework)}
}

// connectAddr is the address the app sees nginx connect from: of nginx's
// candidates (localhost resolves to both families), the first one the app's
// listening socket accepts. nginx tries the upstream's addresses in order and
// a refused one fails over to the next.
func (s appSocket) connectAddr(px *nginxconf.Proxy) string {
	if !s.addr.IsValid() {
		return px.Hop.Addr
	}
	for _, c := range px.ConnectFrom {
		a, err := netip.ParseAddr(c)
		if err != nil {
			continue
		}
		if s.addr.IsUnspecified() || a.Unmap().Is4() == s.addr.Unmap().Is4() {
			return c
		}
	}
	return px.Hop.Addr
}

// peer is the address the app's socket reports for a peer.
func (s appSocket) peer(addr string) string {
	return trustmodel.Listen{Addr: s.addr, PlainIPv4: s.plainIPv4}.PeerAddr(addr)
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

// replayer sends lint's clients through a path: the honest one, and one
// hostile client per injection.
type replayer struct {
	app    rules.AppInfo
	socket appSocket
}

func (c *replayer) Replay(p *rules.Path, inject string) (rules.Replay, bool) {
	return c.send(p, inject, true)
}

func (c *replayer) Arrive(p *rules.Path, inject string) (trustmodel.Request, bool) {
	r, ok := c.send(p, inject, false)
	return r.AtApp, ok
}

// send sends the client that injects inject ("" the honest one) through p,
// and has the app evaluate what arrives when evaluate.
func (c *replayer) send(p *rules.Path, inject string, evaluate bool) (rules.Replay, bool) {
	if inject == "" {
		return c.replay(p, "", "", p.Client(), evaluate), true
	}
	val, ok := injection(p, inject)
	if !ok && inject != "" && strings.EqualFold(inject, c.ownAddressHeader()) {
		val, ok = rules.SpoofedAddr, true
	}
	if !ok {
		return rules.Replay{}, false
	}
	req := p.Client()
	if inject == "Host" {
		req.Headers[0].Value = val
	} else {
		req.Headers = trustmodel.Header{{Name: inject, Value: val}, req.Headers[0]}
	}
	return c.replay(p, inject, val, req, evaluate), true
}

func (c *replayer) Injections(p *rules.Path) []rules.Injection {
	out := make([]rules.Injection, 0, len(hostileInjections)+1)
	for _, inj := range hostileInjections {
		if val, ok := injection(p, inj.header); ok {
			out = append(out, rules.Injection{Header: inj.header, Value: val})
		}
	}
	if h := c.ownAddressHeader(); h != "" {
		out = append(out, rules.Injection{Header: h, Value: rules.SpoofedAddr})
	}
	return out
}

// ownAddressHeader is the header an app that reads the client address
// itself (client_ip_from) takes it from first, when no other hostile
// client sends it; "" otherwise.
func (c *replayer) ownAddressHeader() string {
	ev := c.app.Evaluator
	if ev == nil || trustmodel.ClientIPFrom(ev) == "framework" {
		return ""
	}
	h := ev.AddressHeader()
	for _, inj := range hostileInjections {
		if strings.EqualFold(inj.header, h) {
			return ""
		}
	}
	return h
}

// injection is the value p's hostile client injects as header, if it has one.
func injection(p *rules.Path, header string) (string, bool) {
	for _, inj := range hostileInjections {
		switch {
		case inj.header != header:
			continue
		case header == "X-Forwarded-Proto":
			return scheme(!p.TLS), true
		case header == "Host" && p.Proxy != nil && !p.Proxy.Server.AcceptsAnyHost():
			return "", false // nginx hands a Host this server is not named for to another server
		}
		return inj.value, true
	}
	return "", false
}

func (c *replayer) replay(p *rules.Path, header, val string, client trustmodel.Request, evaluate bool) rules.Replay {
	r := rules.Replay{Inject: header, Value: val, Client: client, AtApp: p.Replay(client)}
	if p.Proxy == nil || p.Proxy.Hop.Gateway == nil {
		r.AtApp.Peer = c.socket.peer(r.AtApp.Peer)
	}
	if evaluate && c.app.Evaluator != nil {
		r.Result = c.app.Evaluator.Evaluate(r.AtApp)
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
