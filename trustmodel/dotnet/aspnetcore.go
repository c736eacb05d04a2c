// Package dotnet models ASP.NET Core's ForwardedHeadersMiddleware (.NET 8,
// 9 and 10) on Kestrel, with .NET's own IPAddress/IPEndPoint parsing and
// formatting. ASP.NET Core cannot run here: everything is modelled from
// dotnet/aspnetcore src/Middleware/HttpOverrides/src/ForwardedHeadersMiddleware.cs
// (ApplyForwarders, CheckKnownAddress, TryValidateHost), ForwardedHeadersOptions.cs,
// DualIPNetworkList.cs (.NET 10), src/DefaultBuilder/src/ForwardedHeadersOptionsSetup.cs,
// and dotnet/runtime's IPAddress parsers; testdata/vectors/dotnet/modelled.jsonl
// holds the hand-checked vectors.
package dotnet

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// ForwardedHeaders flags (ForwardedHeaders.cs).
const (
	xForwardedFor    = 1
	xForwardedHost   = 2
	xForwardedProto  = 4
	xForwardedPrefix = 8
	allHeaders       = xForwardedFor | xForwardedHost | xForwardedProto | xForwardedPrefix
)

var flagNames = map[string]int{"none": 0, "xforwardedfor": xForwardedFor, "xforwardedhost": xForwardedHost,
	"xforwardedproto": xForwardedProto, "xforwardedprefix": xForwardedPrefix, "all": allHeaders}

const (
	optHeaders   = "ForwardedHeaders"
	optLimit     = "ForwardLimit"
	optSymmetry  = "RequireHeaderSymmetry"
	optAllowed   = "AllowedHosts"
	optForName   = "ForwardedForHeaderName"
	optProtoName = "ForwardedProtoHeaderName"
	optHostName  = "ForwardedHostHeaderName"
	optEnvVar    = "ASPNETCORE_FORWARDEDHEADERS_ENABLED"
)

var knownOptions = []string{optHeaders, optLimit, optSymmetry, optAllowed, optForName, optProtoName, optHostName, optEnvVar}

type network struct {
	prefix netip.Prefix
	text   string
}

// aspnetcore is an app whose pipeline starts with UseForwardedHeaders.
type aspnetcore struct {
	version     int  // 8, 9 or 10
	proxyChecks bool // 8.0.17+/9.0.6+/10: the known-proxy check runs without XForwardedFor too
	flags       int
	limit       *int // nil: no limit
	proxies     []ipAddress
	proxyText   []string
	networks    []network
	symmetry    bool
	allowAll    bool
	allowed     []string
	forName     string
	protoName   string
	hostName    string
	options     map[string]any
	trustSet    bool
	explain     bool
}

// New configures an aspnetcore app: framework_version "8", "9" or "10"
// (the newest patch) or an exact 8.0.x/9.0.x.
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	a := &aspnetcore{forName: "X-Forwarded-For", protoName: "X-Forwarded-Proto", hostName: "X-Forwarded-Host",
		options: app.Options, explain: app.Explain, allowAll: true, proxyChecks: true}
	if err := a.setVersion(app.Version); err != nil {
		return nil, err
	}
	if app.Server != nil || len(app.Middleware) > 0 {
		return nil, &trustmodel.UnsupportedError{Msg: "aspnetcore: app.server and app.middleware are not modelled (Kestrel is the server)"}
	}
	one := 1
	a.limit = &one
	// ForwardedHeadersOptions defaults: KnownProxies [::1], KnownNetworks [127.0.0.0/8].
	a.proxies, a.proxyText = []ipAddress{{addr: netip.IPv6Loopback()}}, []string{"::1"}
	a.networks = []network{{netip.MustParsePrefix("127.0.0.0/8"), "127.0.0.0/8"}}
	names := make([]string, 0, len(app.Options))
	for k := range app.Options {
		names = append(names, k)
	}
	sort.Strings(names)
	explicitFlags := false
	for _, name := range names {
		v := app.Options[name]
		switch name {
		case optHeaders:
			f, err := parseFlags(v)
			if err != nil {
				return nil, err
			}
			a.flags, explicitFlags = f, true
		case optLimit:
			if v == nil {
				a.limit = nil
				continue
			}
			n, ok := intValue(v)
			if !ok {
				return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: ForwardLimit must be an integer or null, not %v", v)}
			}
			a.limit = &n
		case optSymmetry:
			b, ok := v.(bool)
			if !ok {
				return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: RequireHeaderSymmetry must be true or false, not %v", v)}
			}
			a.symmetry = b
		case optAllowed:
			list, ok := stringList(v)
			if !ok {
				return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: AllowedHosts must be a list of strings, not %v", v)}
			}
			a.setAllowedHosts(list)
		case optForName, optProtoName, optHostName:
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				// The middleware's constructor: ArgumentException.ThrowIfNullOrWhiteSpace.
				return nil, fmt.Errorf("The value cannot be an empty string or composed entirely of whitespace. (Parameter '%s')", name)
			}
			switch name {
			case optForName:
				a.forName = s
			case optProtoName:
				a.protoName = s
			default:
				a.hostName = s
			}
		case optEnvVar:
			if fmt.Sprint(v) == "true" || strings.EqualFold(fmt.Sprint(v), "true") {
				// ForwardedHeadersOptionsSetup: For|Proto and both known lists
				// cleared, before the app's own configuration.
				if !explicitFlags {
					a.flags = xForwardedFor | xForwardedProto
				}
				a.proxies, a.proxyText, a.networks = nil, nil, nil
			}
		default:
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: unknown option %q for aspnetcore (known: %s)", name, strings.Join(knownOptions, ", "))}
		}
	}
	if app.TrustProxySet {
		if err := a.setKnown(app.TrustProxy); err != nil {
			return nil, err
		}
		a.trustSet = true
	}
	return a, nil
}

func (a *aspnetcore) setVersion(v string) error {
	bad := &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported aspnetcore version %q (want 8, 9, 10 or an exact 8.0.x/9.0.x/10.0.x)", v)}
	parts := strings.Split(v, ".")
	major, err := strconv.Atoi(parts[0])
	if v == "" {
		major, err = 10, nil
	}
	if err != nil || major < 8 || major > 10 || len(parts) > 3 {
		return bad
	}
	a.version = major
	if len(parts) == 3 {
		patch, err := strconv.Atoi(parts[2])
		if err != nil || parts[1] != "0" {
			return bad
		}
		// aspnet/Announcements#517: the known-proxy check for Proto/Host/Prefix
		// without XForwardedFor arrived in 8.0.17 and 9.0.6 (PR dotnet/aspnetcore#61530).
		a.proxyChecks = major == 10 || major == 8 && patch >= 17 || major == 9 && patch >= 6
	}
	return nil
}

func parseFlags(v any) (int, error) {
	var names []string
	switch x := v.(type) {
	case string:
		names = strings.Split(x, ",")
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return 0, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: ForwardedHeaders entries are flag names, not %v", e)}
			}
			names = append(names, s)
		}
	default:
		if n, ok := intValue(v); ok && n >= 0 && n <= allHeaders {
			return n, nil
		}
		return 0, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: ForwardedHeaders must be flag names (XForwardedFor, XForwardedProto, XForwardedHost, XForwardedPrefix, All, None), not %v", v)}
	}
	f := 0
	for _, n := range names {
		n = strings.TrimSpace(n)
		bit, ok := flagNames[strings.ToLower(n)]
		if !ok {
			return 0, fmt.Errorf("Requested value '%s' was not found.", n)
		}
		f |= bit
	}
	return f, nil
}

func intValue(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		return int(x), x == float64(int(x))
	}
	return 0, false
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// setKnown takes trust_proxy: the KnownProxies (addresses) and
// KnownNetworks/KnownIPNetworks (CIDR ranges) that replace the defaults; an
// empty list clears both, which trusts every peer.
func (a *aspnetcore) setKnown(v any) error {
	var list []string
	switch x := v.(type) {
	case string:
		list = []string{x}
	default:
		l, ok := stringList(v)
		if !ok {
			return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy for aspnetcore is a list of KnownProxies addresses and KnownNetworks ranges, not %v", v)}
		}
		list = l
	}
	a.proxies, a.proxyText, a.networks = nil, nil, nil
	for _, s := range list {
		if i := strings.IndexByte(s, '/'); i >= 0 {
			n, err := a.parseNetwork(s, i)
			if err != nil {
				return err
			}
			a.networks = append(a.networks, n)
			continue
		}
		ip, ok := parseIPAddress(s)
		if !ok {
			// IPAddress.Parse's FormatException (SR.dns_bad_ip_address).
			return errors.New("An invalid IP address was specified.")
		}
		a.proxies, a.proxyText = append(a.proxies, ip), append(a.proxyText, s)
	}
	return nil
}

// parseNetwork is new IPNetwork(IPAddress.Parse(prefix), length) in .NET 8/9
// (any base address; Contains masks both sides) and System.Net.IPNetwork.Parse
// in .NET 10, whose FormatException (SR.net_bad_ip_network) also covers bits
// set after the prefix.
func (a *aspnetcore) parseNetwork(s string, slash int) (network, error) {
	const badNetwork = "An invalid IP network was specified."
	ip, ok := parseIPAddress(s[:slash])
	if !ok && a.version < 10 {
		return network{}, errors.New("An invalid IP address was specified.")
	}
	bits, err := strconv.Atoi(s[slash+1:])
	max := 32
	if ip.addr.Is6() {
		max = 128
	}
	if !ok || err != nil || bits < 0 || bits > max {
		return network{}, errors.New(badNetwork)
	}
	p := netip.PrefixFrom(ip.addr, bits)
	if a.version >= 10 && p.Masked() != p {
		return network{}, errors.New(badNetwork)
	}
	return network{p.Masked(), s}, nil
}

func (a *aspnetcore) setAllowedHosts(list []string) {
	a.allowAll = len(list) == 0
	a.allowed = nil
	for _, h := range list {
		// IsTopLevelWildcard (ForwardedHeadersMiddleware.PreProcessHosts).
		if h == "*" || h == "[::]" || h == "0.0.0.0" {
			a.allowAll = true
			a.allowed = nil
			return
		}
		a.allowed = append(a.allowed, h)
	}
}

// checkKnownAddress is CheckKnownAddress: a mapped address is also tried
// as IPv4, then KnownProxies (IPAddress.Equals), then each network.
func (a *aspnetcore) checkKnownAddress(ip ipAddress) (bool, string) {
	if ip.isMapped() {
		if ok, why := a.checkKnownAddress(ipAddress{addr: ip.addr.Unmap()}); ok {
			return true, why
		}
	}
	for i, p := range a.proxies {
		if p.equal(ip) {
			return true, "is KnownProxies entry " + a.proxyText[i]
		}
	}
	for _, n := range a.networks {
		if n.prefix.Addr().Is4() == ip.addr.Is4() && n.prefix.Contains(ip.addr) {
			return true, "is in KnownNetworks entry " + n.text
		}
	}
	return false, "is in neither KnownProxies nor KnownNetworks"
}

func (a *aspnetcore) checkKnownIPs() bool { return len(a.proxies) > 0 || len(a.networks) > 0 }

func (a *aspnetcore) Name() string          { return "aspnetcore " + strconv.Itoa(a.version) }
func (a *aspnetcore) AddressHeader() string { return a.forName }

// Trust is KnownProxies + KnownNetworks as CheckKnownAddress applies them
// (both empty: every address), within ForwardLimit: hop i is asked only
// for i < ForwardLimit, so the entry at hop ForwardLimit is taken unasked.
// Addresses .NET cannot parse are never known.
func (a *aspnetcore) Trust() trustmodel.Trust { return knownTrust{a} }

type knownTrust struct{ a *aspnetcore }

func (t knownTrust) Trusts(addr string, hop int) (bool, string) {
	if t.a.limit != nil && hop >= *t.a.limit {
		return false, fmt.Sprintf("hop %d is beyond ForwardLimit %d", hop, *t.a.limit)
	}
	if !t.a.checkKnownIPs() {
		return true, "KnownProxies and KnownNetworks are both empty: every address is trusted"
	}
	ip, _, ok := parseIPEndPoint(addr)
	if !ok {
		return false, "not an IP address .NET parses"
	}
	return t.a.checkKnownAddress(ip)
}

func (t knownTrust) String() string {
	if !t.a.checkKnownIPs() {
		return "every address (KnownProxies and KnownNetworks are empty)"
	}
	var parts []string
	parts = append(parts, t.a.proxyText...)
	for _, n := range t.a.networks {
		parts = append(parts, n.text)
	}
	return strings.Join(parts, ", ")
}
