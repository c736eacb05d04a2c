package ruby

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// defaultProxies is RemoteIp::TRUSTED_PROXIES (actionpack 6.1.7
// lib/action_dispatch/middleware/remote_ip.rb lines 36-43); 8.1 adds the
// link-local ranges (commit 0a6abea2089).
var (
	defaultProxies   = []string{"127.0.0.0/8", "::1", "fc00::/7", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
	defaultProxies81 = append(append([]string(nil), defaultProxies...), "169.254.0.0/16", "fe80::/10")
)

// railsVersion selects what differs between the Rails versions modelled.
type railsVersion struct {
	name string
	// singleRaises: 7.1+ refuse a single non-enumerable trusted_proxies
	// value (ArgumentError); 6.1 and 7.0 append the defaults to it.
	singleRaises bool
	// forwardedFor: 8.1+ read Rack's forwarded_for (Forwarded for= when
	// present, else X-Forwarded-For, ports stripped) and trust link-local.
	forwardedFor bool
	// rack3: Rack 3's scheme (Forwarded proto, X-Forwarded-Proto last
	// allowed, then X-Forwarded-Scheme); Rack 2.2's otherwise.
	rack3 bool
}

var railsVersions = map[string]railsVersion{
	"6.1": {name: "6.1"},
	"7.0": {name: "7.0"},
	"7":   {name: "7", singleRaises: true, rack3: true},
	"7.1": {name: "7.1", singleRaises: true, rack3: true},
	"7.2": {name: "7.2", singleRaises: true, rack3: true},
	"8.0": {name: "8.0", singleRaises: true, rack3: true},
	"8":   {name: "8", singleRaises: true, forwardedFor: true, rack3: true},
	"8.1": {name: "8.1", singleRaises: true, forwardedFor: true, rack3: true},
}

// rails is a Rails app behind Puma: ActionDispatch::RemoteIp with the app's
// ip_spoofing_check and trusted_proxies, Rack's scheme, Rails' host.
type rails struct {
	v        railsVersion
	check    bool
	proxies  []matcher
	custom   bool // trusted_proxies replaces the defaults
	trustSet bool
	trustVal any
	explain  bool
	// forwardedPriority and protoPriority are Rack 3's process-wide
	// Rack::Request.forwarded_priority and .x_forwarded_proto_priority.
	forwardedPriority []string
	protoPriority     []string
	options           map[string]any // as the app gave them, for Advise
}

// New configures a rails app. trust_proxy is
// config.action_dispatch.trusted_proxies written in Ruby: each entry
// `IPAddr.new("10.0.0.0/8")`, a `/regexp/`, or a plain string (a Ruby
// String, which matches only an identical address).
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	v := app.Version
	if v == "" {
		v = "8"
	}
	rv, ok := railsVersions[v]
	if !ok {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported rails version %q (want 6.1, 7 or 8)", app.Version)}
	}
	r := &rails{v: rv, check: true, explain: app.Explain, options: app.Options,
		forwardedPriority: []string{"forwarded", "x_forwarded"}, protoPriority: []string{"proto", "scheme"}}
	for name, val := range app.Options {
		var err error
		switch name {
		case "ip_spoofing_check":
			b, ok := val.(bool)
			if !ok {
				return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.ip_spoofing_check: want true or false, got %T", val)}
			}
			r.check = b
		case "forwarded_priority":
			r.forwardedPriority, err = rackPriority(rv, name, val, "forwarded", "x_forwarded")
		case "x_forwarded_proto_priority":
			r.protoPriority, err = rackPriority(rv, name, val, "proto", "scheme")
		default:
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: unknown option %q for rails (known: ip_spoofing_check, forwarded_priority, x_forwarded_proto_priority)", name)}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := checkServer(app.Server); err != nil {
		return nil, err
	}
	if len(app.Middleware) > 0 {
		return nil, &trustmodel.UnsupportedError{Msg: "app.middleware: rails takes no middleware here (its trust is trust_proxy and options.ip_spoofing_check)"}
	}
	if err := r.setProxies(app); err != nil {
		return nil, err
	}
	return r, nil
}

// rackPriority reads a Rack 3 priority list (Rack::Request.forwarded_priority
// = [:x_forwarded]) written without the colons.
func rackPriority(v railsVersion, name string, val any, known ...string) ([]string, error) {
	if !v.rack3 {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.%s: Rack 2.2 (rails %s) has no Rack::Request.%s", name, v.name, name)}
	}
	list, ok := val.([]any)
	if !ok {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.%s: want a list of %s", name, strings.Join(known, ", "))}
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, _ := e.(string)
		s = strings.TrimPrefix(s, ":")
		if s != known[0] && s != known[1] {
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.%s: entry %v is not one of %s", name, e, strings.Join(known, ", "))}
		}
		out[i] = s
	}
	return out, nil
}

func checkServer(server map[string]any) error {
	for k, v := range server {
		switch k {
		case "name":
			if s, _ := v.(string); s != "puma" {
				return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.server.name: unknown Ruby server %v (known: puma)", v)}
			}
		case "version":
		default:
			return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.server: unknown option %q for puma (known: name, version)", k)}
		}
	}
	return nil
}

// parseMatcher reads one entry in Ruby's own syntax. An IPAddr that does
// not parse raises at boot: the error is IPAddr's message.
func parseMatcher(s string) (matcher, error) {
	if strings.HasPrefix(s, `IPAddr.new("`) && strings.HasSuffix(s, `")`) {
		text := s[len(`IPAddr.new("`) : len(s)-2]
		a, err := parseIPAddr(text)
		if err != nil {
			return matcher{}, err
		}
		return matcher{kind: matchIPAddr, ip: a, shown: s}, nil
	}
	if len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/' {
		re, err := regexp.Compile(s[1 : len(s)-1])
		if err != nil {
			return matcher{}, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy: %s is not a Regexp trustcheck can evaluate: %v", s, err)}
		}
		return matcher{kind: matchRegexp, re: re, shown: s}, nil
	}
	return matcher{kind: matchString, str: s, shown: fmt.Sprintf("%q", s)}, nil
}

func defaults(v railsVersion) []matcher {
	list := defaultProxies
	if v.forwardedFor {
		list = defaultProxies81
	}
	out := make([]matcher, len(list))
	for i, p := range list {
		a, _ := parseIPAddr(p)
		out[i] = matcher{kind: matchIPAddr, ip: a, shown: fmt.Sprintf("IPAddr.new(%q)", p)}
	}
	return out
}

// setProxies is RemoteIp#initialize: blank → the defaults; something that
// responds to any? (a list) → exactly it; a single value → 6.1/7.0 append
// the defaults, 7.1+ raise ArgumentError.
func (r *rails) setProxies(app trustmodel.App) error {
	r.trustSet, r.trustVal = app.TrustProxySet, app.TrustProxy
	switch x := app.TrustProxy.(type) {
	case nil:
		r.proxies = defaults(r.v)
	case []any:
		if len(x) == 0 {
			r.proxies = defaults(r.v)
			return nil
		}
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy: entry %d is %T; write IPAddr.new(\"...\"), a /regexp/ or a string", i, e)}
			}
			m, err := parseMatcher(s)
			if err != nil {
				return err
			}
			r.proxies = append(r.proxies, m)
		}
		r.custom = true
	case string:
		if isBlank(x) {
			r.proxies = defaults(r.v)
			return nil
		}
		m, err := parseMatcher(x)
		if err != nil {
			return err
		}
		if r.v.singleRaises {
			// remote_ip.rb (v7.1.0) lines 69-81, the heredoc's text.
			return errors.New("Setting config.action_dispatch.trusted_proxies to a single value isn't\n" +
				"supported. Please set this to an enumerable instead. For\n" +
				"example, instead of:\n\n" +
				"config.action_dispatch.trusted_proxies = IPAddr.new(\"10.0.0.0/8\")\n\n" +
				"Wrap the value in an Array:\n\n" +
				"config.action_dispatch.trusted_proxies = [IPAddr.new(\"10.0.0.0/8\")]\n\n" +
				"Note that passing an enumerable will *replace* the default set of trusted proxies.\n")
		}
		r.proxies = append([]matcher{m}, defaults(r.v)...)
	default:
		return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy: want a list of IPAddr.new(\"...\") entries, got %T", app.TrustProxy)}
	}
	return nil
}

func (r *rails) Name() string          { return "rails " + r.v.name }
func (r *rails) AddressHeader() string { return "X-Forwarded-For" }

// filterProxies is GetIp#filter_proxies(ips).first: the first entry no
// proxy matches; ok false when every entry is trusted.
func (r *rails) firstUntrusted(ips []string, remote string, hasRemote bool) (string, bool, bool) {
	for _, ip := range ips {
		if !r.trusted(ip, true) {
			return ip, true, true
		}
	}
	if !r.trusted(remote, hasRemote) {
		return remote, hasRemote, true
	}
	return "", false, false
}

func (r *rails) trusted(ip string, ok bool) bool {
	for i := range r.proxies {
		if r.proxies[i].matches(ip, ok) {
			return true
		}
	}
	return false
}

// remoteIP is GetIp#calculate_ip: [X-Forwarded-For R→L, Client-Ip R→L,
// REMOTE_ADDR], the first one no proxy matches; all matched → the leftmost
// Client-Ip (else X-Forwarded-For) entry, else REMOTE_ADDR. The peer need
// not be trusted for the headers to count.
func (r *rails) remoteIP(env *rackEnv) (*string, error) {
	remotes := ipsFrom(env.get("REMOTE_ADDR"))
	remote, hasRemote := "", len(remotes) > 0
	if hasRemote {
		remote = remotes[len(remotes)-1]
	}
	clientIPs := reverse(ipsFrom(env.get("HTTP_CLIENT_IP")))
	var forwarded []string
	if r.v.forwardedFor {
		forwarded = reverse(sanitize(rackForwardedFor(env, r.forwardedPriority)))
	} else {
		forwarded = reverse(ipsFrom(env.get("HTTP_X_FORWARDED_FOR")))
	}
	if r.check && len(clientIPs) > 0 && len(forwarded) > 0 {
		first := clientIPs[len(clientIPs)-1]
		found := false
		for _, f := range forwarded {
			found = found || f == first
		}
		if !found {
			return nil, errIPSpoof
		}
	}
	ips := append(append([]string(nil), forwarded...), clientIPs...)
	if ip, ok, found := r.firstUntrusted(ips, remote, hasRemote); found {
		if !ok {
			return nil, nil
		}
		return &ip, nil
	}
	if len(ips) > 0 {
		return &ips[len(ips)-1], nil
	}
	if hasRemote {
		return &remote, nil
	}
	return nil, nil
}

// sanitize is 8.1's sanitize_ips: the entries IPAddr parses as one address.
func sanitize(ips []string) []string {
	var out []string
	for _, ip := range ips {
		if a, err := parseIPAddr(ip); err == nil && a.single() {
			out = append(out, ip)
		}
	}
	return out
}

// rawHostWithPort is ActionDispatch::Http::URL#raw_host_with_port: the last
// X-Forwarded-Host item (no trust check), else Host, else
// "SERVER_NAME:SERVER_PORT". ok false is Ruby's nil.
func rawHostWithPort(env *rackEnv) (string, bool) {
	if f, ok := env.get("HTTP_X_FORWARDED_HOST"); ok && !isBlank(f) {
		parts := splitForwardedHost(f)
		if len(parts) == 0 {
			return "", false
		}
		return parts[len(parts)-1], true
	}
	if h, ok := env.get("HTTP_HOST"); ok {
		return h, true
	}
	name, _ := env.get("SERVER_NAME")
	port, _ := env.get("SERVER_PORT")
	return name + ":" + port, true
}

// Evaluate computes request.remote_ip, scheme, ssl?, host_with_port and
// host for the Rack env Puma builds from the request.
func (r *rails) Evaluate(req trustmodel.Request) trustmodel.Result {
	env := pumaEnv(req)
	var res trustmodel.Result
	raise := func(field string, err error) {
		if res.Raised == nil {
			res.Raised = map[string]string{}
		}
		res.Raised[field] = err.Error()
	}
	if ip, err := r.remoteIP(env); err != nil {
		raise("ip", err)
	} else {
		res.IP = ip
	}
	if r.explain {
		res.Steps = r.walk(env)
	}
	scheme := r.scheme(env)
	res.Protocol = &scheme
	ssl := scheme == "https" || scheme == "wss"
	res.Secure = trustmodel.BoolPtr(ssl)
	raw, ok := rawHostWithPort(env)
	if !ok {
		raise("host", errNoMethod)
		raise("hostname", errNoMethod)
		return res
	}
	host, _, _ := cutPortSuffix(raw)
	_, port, hasPort := cutPortSuffix(raw)
	standard := "80"
	if ssl {
		standard = "443"
	}
	withPort := host
	if hasPort && stringsTrimZeros(port) != standard {
		withPort += ":" + stringsTrimZeros(port)
	}
	res.Host, res.Hostname = &withPort, &host
	return res
}

// walk explains remote_ip for simulate: the peer (which Rails tests last
// and never requires to be trusted), then X-Forwarded-For and Client-Ip
// right to left up to the first untrusted entry, skipped entries left out.
func (r *rails) walk(env *rackEnv) []trustmodel.Step {
	t := trust{r}
	var steps []trustmodel.Step
	remotes := ipsFrom(env.get("REMOTE_ADDR"))
	if len(remotes) > 0 {
		peer := remotes[len(remotes)-1]
		ok, why := t.Trusts(peer, 0)
		steps = append(steps, trustmodel.Step{Hop: 0, Addr: peer, Trusted: ok, Tested: true,
			Why: why + " (REMOTE_ADDR is tested last; the headers count whether or not it is trusted)"})
	}
	var forwarded []string
	if r.v.forwardedFor {
		forwarded = reverse(sanitize(rackForwardedFor(env, r.forwardedPriority)))
	} else {
		forwarded = reverse(ipsFrom(env.get("HTTP_X_FORWARDED_FOR")))
	}
	entries := append(forwarded, reverse(ipsFrom(env.get("HTTP_CLIENT_IP")))...)
	for i, e := range entries {
		ok, why := t.Trusts(e, i+1)
		steps = append(steps, trustmodel.Step{Hop: i + 1, Addr: e, Trusted: ok, Tested: true, Why: why})
		if !ok {
			return steps
		}
	}
	if n := len(steps); n > 1 && steps[0].Trusted {
		steps[n-1].Tested = false
		steps[n-1].Why = "every entry is trusted: Rails returns the leftmost"
	}
	return steps
}
