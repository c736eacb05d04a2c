package lint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

// InitOptions is the `trustcheck init` command line.
type InitOptions struct {
	// Inputs are the nginx configuration (optional): the file is written
	// beside the first, or in WorkDir without any.
	Inputs               []string
	Force                bool // overwrite an existing trustcheck.yaml
	Prefix               string
	AllowMissingIncludes bool
	Stdin                io.Reader
	// WorkDir is where the file goes without an nginx file ("" = the process's).
	WorkDir string
	// Framework and FrameworkVersion are the app's (default: Express 5):
	// the file then speaks of that framework's own knobs.
	Framework, FrameworkVersion string
}

// ErrInitExists is returned (exit 2) when trustcheck.yaml exists and --force is not given.
var ErrInitExists = errors.New("already exists; pass --force to overwrite it")

// RunInit writes a commented trustcheck.yaml pre-filled from the nginx
// configuration. Every error it returns is exit code 2.
func RunInit(o InitOptions, stdout io.Writer) error {
	dir, configName := o.WorkDir, ""
	var ng *nginxconf.Config
	if len(o.Inputs) > 0 {
		if first := o.Inputs[0]; first != "-" {
			if st, err := os.Stat(first); err == nil && st.IsDir() {
				dir = first
			} else {
				dir, configName = filepath.Dir(first), filepath.Base(first)
			}
		}
		var err error
		ng, err = nginxconf.Load(nginxconf.LoadOptions{Prefix: o.Prefix, AllowMissingIncludes: o.AllowMissingIncludes, Stdin: o.Stdin}, o.Inputs...)
		if err != nil {
			return err
		}
	}
	name := filepath.Join(dir, "trustcheck.yaml")
	if dir == "" {
		name = "trustcheck.yaml"
	}
	fw := strings.ToLower(o.Framework)
	if fw == "" {
		fw = "express"
	}
	if !slices.Contains(trustmodel.Frameworks, fw) {
		return fmt.Errorf("--framework: unknown framework %q (want %s)", o.Framework, strings.Join(trustmodel.Frameworks, ", "))
	}
	// A bare app refuses only its version.
	if _, err := frameworks.New(trustmodel.App{Framework: fw, Version: o.FrameworkVersion}); err != nil {
		return fmt.Errorf("--framework-version: %v", err)
	}
	content := initYAML(ng, configName, fw, o.FrameworkVersion)
	// Check that what we write is what lint reads.
	if _, err := trustmodel.ParseConfig(name, []byte(content)); err != nil {
		return fmt.Errorf("internal error: the generated file does not parse: %v", err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.Force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %w", name, ErrInitExists)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", name, unwrapPathError(err))
	}
	if _, err := io.WriteString(f, content); err != nil {
		f.Close()
		return fmt.Errorf("%s: %v", name, unwrapPathError(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %v", name, unwrapPathError(err))
	}
	run := "trustcheck NGINX_CONF"
	if len(o.Inputs) > 0 {
		run = "trustcheck " + strings.Join(o.Inputs, " ")
	}
	what := "app.trust_proxy to exactly what your app passes"
	if !trustmodel.NodeFramework(fw) {
		what = "the app's trust settings to exactly what your app does"
	}
	fmt.Fprintf(stdout, "wrote %s\nset %s, check the other values, then run: %s\n", name, what, run)
	return nil
}

// initFacts is what init infers from the nginx configuration.
type initFacts struct {
	// listen is the app's address from the first proxy_pass ("" = unknown),
	// listenWhy a comment saying where it comes from.
	listen, listenWhy string
	others            []string // other targets, "addr (file:line)"
	// targets are the distinct proxy_pass targets as app.upstreams names
	// them, each with its first place.
	targets  []string
	targetAt []string
	// trust is the suggested trust_proxy as YAML, trustWhy the reasoning;
	// advice the same for any framework (ok false: none to give).
	trust    string
	trustWhy []string
	advice   trustmodel.Advice
	adviceOK bool
	// remote lists proxy_pass targets nginx reaches over the network.
	remote []string
	// edges are presets whose ranges set_real_ip_from trusts.
	edges  []string
	edgeAt map[string]string
}

func inferInit(ng *nginxconf.Config) initFacts {
	var f initFacts
	f.edgeAt = map[string]string{}
	if ng == nil {
		return f
	}
	var entries []string
	seenTarget := map[string]bool{}
	for _, px := range ng.Proxies() {
		if px.Module != "proxy" && px.Module != "passenger" {
			continue
		}
		at := fileLine(px.Pos.File, px.Pos.Line)
		t := px.Target
		if pt := proxyTarget(px.URL); px.Module == "proxy" && !slices.Contains(f.targets, pt) {
			f.targets = append(f.targets, pt)
			f.targetAt = append(f.targetAt, at)
		}
		if px.Module == "proxy" && !seenTarget[t.URL] {
			seenTarget[t.URL] = true
			if f.listen == "" && f.listenWhy == "" {
				f.listen, f.listenWhy = listenFor(t, at)
			} else {
				f.others = append(f.others, fmt.Sprintf("%s (%s)", t.URL, at))
			}
		}
		add := func(e string) {
			if !slices.Contains(entries, e) {
				entries = append(entries, e)
			}
		}
		switch px.FromKind {
		case nginxconf.ConnectLoopback:
			add("loopback")
		case nginxconf.ConnectUnix:
			add("1")
		case nginxconf.ConnectBind:
			for _, a := range px.ConnectFrom {
				add(a)
			}
		case nginxconf.ConnectUnknown, nginxconf.ConnectMixed:
			add("NGINX_ADDRESS")
			if !slices.Contains(f.remote, t.URL) {
				f.remote = append(f.remote, t.URL)
			}
		}
		for _, r := range []*nginxconf.RealIP{px.RealIP, px.LocationRealIP} {
			if r == nil {
				continue
			}
			for _, from := range r.From {
				p, err := trustmodel.ParsePrefix(from.Text)
				if err != nil {
					continue
				}
				for _, preset := range trustmodel.PresetNames() {
					if slices.Contains(trustmodel.PresetRanges(preset), p) && !slices.Contains(f.edges, preset) {
						f.edges = append(f.edges, preset)
						f.edgeAt[preset] = fileLine(from.Pos.File, from.Pos.Line)
					}
				}
			}
		}
	}
	switch {
	case len(entries) == 0:
		f.trustWhy = append(f.trustWhy, "Nothing in the configuration proxies to an HTTP app.")
	case slices.Contains(entries, "1") && len(entries) == 1:
		f.trust = "1"
		f.trustWhy = append(f.trustWhy,
			"nginx connects over a UNIX socket, where the app sees no address, so",
			"only a hop count can trust it: 1 (nginx), plus one per edge hop.")
	case len(entries) == 1 && entries[0] == "NGINX_ADDRESS":
		f.trust = "NGINX_ADDRESS"
		f.trustWhy = append(f.trustWhy,
			"nginx connects to a remote app: trust the address the app sees nginx",
			"connect from (the same as nginx.connects_from below).")
	case len(entries) == 1:
		f.trust = entries[0]
		if entries[0] == "loopback" {
			f.trustWhy = append(f.trustWhy, "nginx connects from the same host (127.0.0.1 / ::1): trust loopback only.")
		} else {
			f.trustWhy = append(f.trustWhy, "nginx connects from "+entries[0]+" (proxy_bind): trust that address only.")
		}
	default:
		f.trust = "[" + strings.Join(entries, ", ") + "]"
		f.trustWhy = append(f.trustWhy, "nginx connects from several kinds of address; trust each of them.")
	}
	if f.trust != "" && f.trust != "NGINX_ADDRESS" {
		f.advice, f.adviceOK = trustmodel.Advice{Hops: 1}, true
		for _, e := range entries {
			if e != "1" {
				f.advice.Proxies = append(f.advice.Proxies, trustmodel.AdviceFor(e, 1).Proxies...)
			}
		}
	}
	if len(f.edges) > 0 && f.trust != "" {
		f.trustWhy = append(f.trustWhy, "With edge hops in front of nginx, add their ranges too (trustcheck suggest prints the value).")
	}
	return f
}

// quoteAll quotes each target for a YAML flow list.
func quoteAll(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strconv.Quote(t)
	}
	return out
}

// listenFor derives app.listen from a proxy_pass target.
func listenFor(t nginxconf.Target, at string) (listen, why string) {
	switch {
	case t.Dynamic:
		return "", fmt.Sprintf("proxy_pass %s (%s) has variables: write where the app binds.", t.URL, at)
	case t.Unix != "":
		return "unix:" + t.Unix, fmt.Sprintf("From proxy_pass %s (%s).", t.URL, at)
	case len(t.Addrs) == 0:
		port := t.Port
		if port == 0 {
			port = 80
		}
		return "", fmt.Sprintf("proxy_pass %s (%s) names a host trustcheck cannot resolve: write where the app binds, e.g. \"0.0.0.0:%d\".", t.URL, at, port)
	}
	addr := t.Addrs[0]
	if strings.HasPrefix(addr, "unix:") {
		return addr, fmt.Sprintf("From proxy_pass %s (%s).", t.URL, at)
	}
	if _, err := trustmodel.ParseListen(addr); err != nil {
		return "", fmt.Sprintf("proxy_pass %s (%s): write where the app binds.", t.URL, at)
	}
	why = fmt.Sprintf("From proxy_pass %s (%s).", t.URL, at)
	if len(t.Addrs) > 1 {
		why += fmt.Sprintf(" nginx connects to %s in turn: the app must", strings.Join(t.Addrs, " and "))
		why += " accept each (localhost is both 127.0.0.1 and ::1)."
	}
	if ap, err := netip.ParseAddrPort(addr); err == nil && !ap.Addr().IsLoopback() {
		why += " A non-loopback bind means clients may reach the app without nginx: see reachable_directly."
	}
	return addr, why
}

// initYAML renders trustcheck.yaml for an app of framework fw (version
// "" = the newest modelled). configName is the nginx file beside it ("" when
// there is none).
func initYAML(ng *nginxconf.Config, configName, fw, version string) string {
	f := inferInit(ng)
	var b strings.Builder
	w := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	comment := func(indent string, lines ...string) {
		for _, l := range lines {
			w(strings.TrimRight(indent+"# "+l, " "))
		}
	}
	src := "no nginx configuration"
	if configName != "" {
		src = configName
	} else if ng != nil {
		src = "the nginx configuration"
	}
	w("# trustcheck.yaml: what trustcheck needs to know about the app behind nginx",
		"# and the network in front of it. Written by `trustcheck init` from "+src+";",
		"# check every value. Keys left commented out keep their defaults.",
		"",
		"# version: the version of this file's format. Always 1.",
		"version: 1",
		"",
		"# app: the application nginx proxies to.",
		"app:")
	if len(f.targets) > 1 {
		listed := make([]string, len(f.targets))
		for i, t := range f.targets {
			listed[i] = fmt.Sprintf("%s (%s)", t, f.targetAt[i])
		}
		comment("  ",
			"upstreams: the proxy_pass targets that reach this app, as nginx names them.",
			"nginx proxies to "+strings.Join(listed, ", ")+".",
			"Keep this app's; a target no app lists is another service, which the rules",
			"about what an app believes leave alone. Several apps: use apps: instead,",
			"a list of these mappings, each with a name and its upstreams.",
			"upstreams: ["+strings.Join(quoteAll(f.targets), ", ")+"]")
	}
	if trustmodel.NodeFramework(fw) {
		comment("  ",
			"framework: the app's web framework: express, fastify or koa; flask, django,",
			"fastapi; gin, echo, chi; rails; laravel, symfony; spring-boot; aspnetcore",
			"(README: each one's knobs).",
			"  framework: express   # app.set('trust proxy', ...)",
			"  framework: fastify   # fastify({ trustProxy: ... })",
			"  framework: koa       # app.proxy = ...")
		w("  framework: " + fw)
		comment("  ",
			"framework_version: the framework's major version. express: 4 or 5;",
			"fastify: 4 or 5 (or an exact 5.x.y); koa: 2 or 3.")
		if version == "" {
			version = map[string]string{"express": "5", "fastify": "5", "koa": "3"}[fw]
		}
		w("  framework_version: " + strconv.Quote(version))
		comment("  ",
			"trust_proxy: set this to EXACTLY what your app passes, copied from its code",
			"(express: app.set('trust proxy', VALUE); fastify: { trustProxy: VALUE };",
			"koa: app.proxy = VALUE), written as YAML: true, false, 1, loopback,",
			"\"loopback, 10.0.0.0/8\", [loopback, 10.0.0.0/8]. Keep strings quoted as the",
			"app has them: \"1\" is the IP address 0.0.0.1 to Express, not one hop.",
			"trustcheck checks the value you have, not the one it would like: until",
			"this is set it cannot compute what the app believes and skips those rules.")
		if len(f.trustWhy) > 0 {
			comment("  ", "")
			comment("  ", f.trustWhy...)
		}
		if f.trust != "" {
			comment("  ", "Suggested (only if your app passes it):", "trust_proxy: "+f.trust)
		} else {
			comment("  ", "trust_proxy: loopback")
		}
	} else {
		frameworkTrust(w, comment, f, fw, version)
	}
	comment("  ",
		"listen: where the app binds: ADDRESS:PORT, [IPv6]:PORT, :PORT (every",
		"interface, Node's default) or unix:/path. A wildcard or public bind means",
		"clients may connect to the app without nginx.")
	if f.listenWhy != "" {
		comment("  ", f.listenWhy)
	}
	if len(f.others) > 0 {
		comment("  ", "nginx also proxies to: "+strings.Join(f.others, ", "))
	}
	if f.listen != "" {
		w("  listen: " + strconv.Quote(f.listen))
	} else {
		comment("  ", `listen: "127.0.0.1:3000"`)
	}
	comment("  ",
		"reachable_directly: can clients connect to the app without nginx? Default:",
		"what listen implies. Set false when a firewall closes a wildcard or public",
		"bind, true when something else exposes a loopback one.",
		"reachable_directly: false",
		"session: express-session, if the app uses it. cookie_secure is its",
		"cookie.secure (true, false or auto); proxy is its proxy option (true or",
		"false; leave it out when the app does not set it).",
		"session: {cookie_secure: true, proxy: null}",
		"uses: what the app relies on; it sets how severe findings are.",
		"client_ip: rate limits, logs, allow lists; protocol: Secure cookies,",
		"redirects; hostname: links, virtual hosts. Leave it out when unsure.",
		"uses: [client_ip, protocol, hostname]",
		"options: framework options by name (koa: proxyIpHeader, maxIpsCount).",
		"options: {proxyIpHeader: X-Forwarded-For, maxIpsCount: 0}")
	w("",
		"# edge: what sits in front of nginx (CDN, load balancer), outermost first.",
		"# Empty means clients connect to nginx directly. Each hop has:",
		"#   name: a label for messages (default: the preset's name)",
		"#   preset: "+strings.Join(trustmodel.PresetNames(), ", ")+": the provider's",
		"#     published addresses and documented header behaviour",
		"#   addresses: where the hop connects from, as the next hop sees it:",
		"#     addresses or CIDR ranges (required without a preset, and for aws-alb)",
		"#   x_forwarded_for: append | overwrite | preserve | remove (default append)",
		"#   x_forwarded_proto: set | preserve | remove (default set)",
		"#   x_forwarded_host: set | preserve | remove (default preserve)",
		"#   tls: terminate | passthrough | none (default terminate)",
		"# Examples:",
		"# edge:",
		"#   - name: cdn",
		"#     preset: cloudflare",
		"#   - name: lb",
		"#     preset: aws-alb",
		"#     addresses: [10.0.0.0/16]",
		"#   - name: haproxy",
		"#     addresses: [192.0.2.10]",
		"#     x_forwarded_for: append",
		"#     x_forwarded_proto: set",
		"#     tls: none")
	for _, e := range f.edges {
		w(fmt.Sprintf("# set_real_ip_from trusts %s's addresses (%s): if %s is in front of", e, f.edgeAt[e], e),
			"# nginx, list it:",
			"#   - preset: "+e)
	}
	w("edge: []",
		"",
		"# nginx: what trustcheck cannot read from the nginx configuration itself.",
		"nginx:")
	comment("  ", "config: the nginx configuration this file describes (the command line wins).")
	if configName != "" {
		w("  config: " + strconv.Quote(configName))
	} else {
		comment("  ", "config: nginx.conf")
	}
	comment("  ",
		"connects_from: the address the app sees nginx connect from. trustcheck",
		"derives it for local targets (loopback, UNIX socket, proxy_bind); for a",
		"remote app it is nginx's address on the app's network.")
	if len(f.remote) > 0 {
		comment("  ",
			"nginx proxies to a remote host ("+strings.Join(f.remote, ", ")+"): set this,",
			"or trustcheck leaves those locations out.")
	}
	comment("  ",
		"connects_from: 10.0.0.2",
		"reachable_directly: can clients reach nginx without passing the edge?",
		"Default: true when edge is empty, false otherwise.",
		"reachable_directly: false")
	return b.String()
}

// frameworkTrustDocs says where each non-Node framework keeps its trust, in
// trustcheck.yaml's keys (README: each one's knobs).
var frameworkTrustDocs = map[string][]string{
	"flask": {"Flask trusts what Werkzeug's ProxyFix counts (middleware:",
		"[{name: proxy_fix, x_for: 1, x_proto: 1}]) and, under gunicorn, its",
		"forwarded_allow_ips (server: {name: gunicorn, forwarded_allow_ips: ...})."},
	"django": {"Django's trust is its settings under options (SECURE_PROXY_SSL_HEADER,",
		"USE_X_FORWARDED_HOST, USE_X_FORWARDED_PORT, ALLOWED_HOSTS) and its app",
		"server's (server: {name: gunicorn | uvicorn, forwarded_allow_ips: ...}).",
		"Under a WSGI server REMOTE_ADDR is always nginx: an app that reads the",
		"client from a header itself says so with client_ip_from (header:X-Real-IP,",
		"leftmost-xff)."},
	"fastapi": {"FastAPI (Starlette) believes what uvicorn's proxy headers middleware",
		"rewrote: server: {name: uvicorn, forwarded_allow_ips: ...}."},
	"gin": {"trust_proxy: the list passed to r.SetTrustedProxies (absent: never",
		"called, gin trusts every peer; null: SetTrustedProxies(nil), none);",
		"options: TrustedPlatform, RemoteIPHeaders, ForwardedByClientIP."},
	"echo": {"options: extractor (direct, x-forwarded-for, x-real-ip) with",
		"TrustLoopback, TrustLinkLocal, TrustPrivateNet, TrustIPRange; SchemeExtractor."},
	"chi": {"middleware: real_ip (middleware.RealIP, believed from every peer),",
		"client_ip_from_xff {prefixes}, client_ip_from_header {header, prefixes},",
		"client_ip_from_xff_trusted_proxies {count}, client_ip_from_remote_addr."},
	"rails": {"trust_proxy: config.action_dispatch.trusted_proxies as Ruby, e.g.",
		"['IPAddr.new(\"10.0.0.0/8\")'] (absent: Rails' private and loopback ranges)."},
	"laravel": {"trust_proxy: TrustProxies' $proxies / trustProxies(at: ...): '*', '**',",
		"an address list or a comma-separated string; options: trusted_headers."},
	"symfony": {"trust_proxy: setTrustedProxies' list or framework.trusted_proxies'",
		"comma-separated string (REMOTE_ADDR, PRIVATE_SUBNETS); options: trusted_headers."},
	"spring-boot": {"trust_proxy: server.tomcat.remoteip.internal-proxies (a Java regex;",
		"absent: Tomcat's private ranges); options: server.forward-headers-strategy",
		"(native, framework, none) and server.tomcat.remoteip.*."},
	"aspnetcore": {"trust_proxy: the list replacing KnownProxies and KnownNetworks ([]",
		"trusts everyone; absent: loopback only); options: ForwardedHeaders,",
		"ForwardLimit, RequireHeaderSymmetry, AllowedHosts."},
}

// frameworkTrust writes a non-Node framework's keys: where its trust lives,
// and the setting its own Advise gives for the proxies nginx connects from,
// commented out, since trustcheck checks the app's real setting.
func frameworkTrust(w func(...string), comment func(string, ...string), f initFacts, fw, version string) {
	comment("  ", "framework: the app's web framework (README: each one's knobs).")
	w("  framework: " + fw)
	if version != "" {
		w("  framework_version: " + strconv.Quote(version))
	} else {
		comment("  ", "framework_version: absent means the newest version trustcheck models.")
	}
	comment("  ", "Set these to EXACTLY what your app does, copied from its code and")
	comment("  ", "configuration; trustcheck checks the setting you have, not the one it")
	comment("  ", "would like.")
	comment("  ", frameworkTrustDocs[fw]...)
	if len(f.trustWhy) > 0 {
		comment("  ", "")
		comment("  ", f.trustWhy...)
	}
	if !f.adviceOK {
		return
	}
	app := trustmodel.App{Framework: fw, Version: version}
	if fw == "fastapi" {
		app.Server = map[string]any{"name": "uvicorn"} // its proxy headers are the only trust
	}
	ev, err := frameworks.New(app)
	if err != nil {
		return
	}
	s, ok := ev.Advise(f.advice)
	if !ok {
		return
	}
	comment("  ", "Suggested (only if your app does it):")
	comment("  ", strings.Split(s.Code, "\n")...)
	if s.App.TrustProxySet {
		comment("  ", "trust_proxy: "+rules.YAMLFlow(s.App.TrustProxy))
	}
	if len(s.App.Options) > 0 {
		comment("  ", "options: "+rules.YAMLFlow(s.App.Options))
	}
	if len(s.App.Server) > 0 {
		comment("  ", "server: "+rules.YAMLFlow(s.App.Server))
	}
	if len(s.App.Middleware) > 0 {
		comment("  ", "middleware: "+rules.YAMLFlow(s.App.Middleware))
	}
}
