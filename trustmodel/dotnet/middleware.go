package dotnet

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// commaSeparatedValues is IHeaderDictionary.GetCommaSeparatedValues
// (ParsingHelpers.GetHeaderSplit): every line split on commas outside
// double quotes, each item trimmed, empty items dropped, surrounding quotes removed.
func commaSeparatedValues(h trustmodel.Header, name string) []string {
	var out []string
	for _, line := range h.Lines(name) {
		inQuote := false
		start := 0
		for i := 0; i <= len(line); i++ {
			if i < len(line) {
				if line[i] == '"' {
					inQuote = !inQuote
				}
				if line[i] != ',' || inQuote {
					continue
				}
			}
			item := strings.Trim(line[start:i], " \t")
			start = i + 1
			if len(item) >= 2 && item[0] == '"' && item[len(item)-1] == '"' {
				item = item[1 : len(item)-1]
			}
			if item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// schemeChar is RFC 3986's scheme alphabet (ForwardedHeadersMiddleware.SchemeChars).
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

func isHostChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!$&'()-._~", c) >= 0
}

// validHost is TryValidateHost (Kestrel's and Http.Sys's host rule): a
// reg-name or [IPv6] of the allowed characters, then optionally ':' digits.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if h[0] == '[' {
		end := -1
		for i := 1; i < len(h); i++ {
			c := h[i]
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.' {
				continue
			}
			end = i
			break
		}
		if end < 0 || h[end] != ']' || end-1 < 3 {
			return false
		}
		return end+1 == len(h) || validPort(h, end+1)
	}
	if h[0] == ':' {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isHostChar(h[i]) {
			return validPort(h, i)
		}
	}
	return true
}

func validPort(h string, at int) bool {
	if h[at] != ':' || len(h) == at+1 {
		return false
	}
	for i := at + 1; i < len(h); i++ {
		if h[i] < '0' || h[i] > '9' {
			return false
		}
	}
	return true
}

// hostPart is HostString.Host: through "]" for an IPv6 literal, else before
// the only ':' (a value with several colons is all host).
func hostPart(v string) string {
	if strings.HasPrefix(v, "[") {
		if i := strings.IndexByte(v, ']'); i >= 0 {
			return v[:i+1]
		}
		return v
	}
	if i := strings.IndexByte(v, ':'); i >= 0 && strings.IndexByte(v[i+1:], ':') < 0 {
		return v[:i]
	}
	return v
}

// hostAllowed is HostString.MatchesAny: the host part equals an entry
// (ignoring case) or, for "*.example.com", is a subdomain of it.
func (a *aspnetcore) hostAllowed(v string) bool {
	if a.allowAll {
		return true
	}
	host := hostPart(v)
	for _, p := range a.allowed {
		if strings.EqualFold(p, host) {
			return true
		}
		if strings.HasPrefix(p, "*.") && len(host) > len(p)-1 && strings.EqualFold(host[len(host)-len(p)+1:], p[1:]) {
			return true
		}
	}
	return false
}

type endpoint struct {
	ip   ipAddress
	port int
}

func (a *aspnetcore) Evaluate(req trustmodel.Request) trustmodel.Result {
	var r trustmodel.Result
	// Kestrel: one Host line, valid by the same rule, or 400.
	hosts := req.Headers.Lines("Host")
	if len(hosts) > 1 || len(hosts) == 1 && hosts[0] != "" && !validHost(hosts[0]) {
		r.Raised = map[string]string{"host": "BadHttpRequestException"}
		return r
	}
	var host *string
	if len(hosts) == 1 {
		host = &hosts[0]
	}
	scheme := "http"
	if req.TLS {
		scheme = "https"
	}
	// Connection.RemoteIpAddress: null for a peer that is not an IP address (a unix socket).
	var remote *endpoint
	if ip, ok := parseIPAddress(req.Peer); ok {
		remote = &endpoint{ip: ip}
	}
	a.apply(req.Headers, &remote, &scheme, &host, &r)
	if remote != nil {
		s := remote.ip.String()
		r.IP = &s
	}
	r.Protocol = &scheme
	r.Secure = trustmodel.BoolPtr(strings.EqualFold(scheme, "https"))
	if host != nil {
		h := hostPart(*host)
		r.Host, r.Hostname = host, &h
	}
	return r
}

type forwarderSet struct {
	ipText, scheme, host string
}

// apply is ApplyForwarders for the For, Proto and Host headers.
func (a *aspnetcore) apply(h trustmodel.Header, remote **endpoint, scheme *string, host **string, r *trustmodel.Result) {
	checkFor, checkProto, checkHost := a.flags&xForwardedFor != 0, a.flags&xForwardedProto != 0, a.flags&xForwardedHost != 0
	var fwdFor, fwdProto, fwdHost []string
	entries := 0
	if checkFor {
		fwdFor = commaSeparatedValues(h, a.forName)
		entries = max(entries, len(fwdFor))
	}
	if checkProto {
		fwdProto = commaSeparatedValues(h, a.protoName)
		if a.symmetry && checkFor && len(fwdFor) != len(fwdProto) {
			return
		}
		entries = max(entries, len(fwdProto))
	}
	if checkHost {
		fwdHost = commaSeparatedValues(h, a.hostName)
		if a.symmetry && (checkFor && len(fwdFor) != len(fwdHost) || checkProto && len(fwdProto) != len(fwdHost)) {
			return
		}
		entries = max(entries, len(fwdHost))
	}
	if a.limit != nil && entries > *a.limit {
		entries = max(*a.limit, 0)
	}
	sets := make([]forwarderSet, entries)
	for i := range sets {
		if i < len(fwdFor) {
			sets[i].ipText = fwdFor[len(fwdFor)-i-1]
		}
		if i < len(fwdProto) {
			sets[i].scheme = fwdProto[len(fwdProto)-i-1]
		}
		if i < len(fwdHost) {
			sets[i].host = fwdHost[len(fwdHost)-i-1]
		}
	}
	current := *remote
	var newScheme, newHost *string
	apply := false
	checkKnown := a.checkKnownIPs()
	for i, set := range sets {
		// For the first entry the connection's address may be null (then
		// nothing is checked). Before 8.0.17/9.0.6 the check ran only with XForwardedFor.
		if (checkFor || a.proxyChecks) && current != nil && checkKnown {
			ok, why := a.checkKnownAddress(current.ip)
			if a.explain {
				r.Steps = append(r.Steps, trustmodel.Step{Hop: i, Addr: current.ip.String(), Trusted: ok, Why: why, Tested: true})
			}
			if !ok {
				break
			}
		}
		if checkFor {
			if ip, port, ok := parseIPEndPoint(set.ipText); ok {
				apply = true
				current = &endpoint{ip, port}
				if a.explain {
					why := "the previous hop is known, so RemoteIpAddress becomes this entry"
					if i == len(sets)-1 && a.limit != nil && len(fwdFor) > len(sets) {
						why += fmt.Sprintf(", and ForwardLimit %d ends the walk", *a.limit)
					}
					r.Steps = append(r.Steps, trustmodel.Step{Hop: i + 1, Addr: set.ipText, Why: why})
				}
			} else if set.ipText != "" {
				if a.explain {
					r.Steps = append(r.Steps, trustmodel.Step{Hop: i + 1, Addr: set.ipText, Why: "not an IP endpoint .NET parses: the walk stops", Tested: true})
				}
				break
			} else if a.symmetry {
				return
			}
		}
		if checkProto {
			if validScheme(set.scheme) {
				apply = true
				s := set.scheme
				newScheme = &s
			} else if a.symmetry {
				return
			}
		}
		if checkHost {
			if set.host != "" && validHost(set.host) && a.hostAllowed(set.host) {
				apply = true
				s := set.host
				newHost = &s
			} else if a.symmetry {
				return
			}
		}
	}
	if !apply {
		return
	}
	if checkFor && current != nil {
		*remote = current
	}
	if checkProto && newScheme != nil {
		*scheme = *newScheme
	}
	if checkHost && newHost != nil {
		*host = newHost
	}
}

// Advise writes the ForwardedHeadersOptions that trust exactly the proxies:
// both known lists cleared then filled (clearing alone would trust every
// peer), ForwardLimit set to the number of proxies, and the app's headers
// (at least X-Forwarded-For and -Proto) forwarded.
func (a *aspnetcore) Advise(adv trustmodel.Advice) (trustmodel.Setting, bool) {
	opts := map[string]any{}
	for k, v := range a.options {
		opts[k] = v
	}
	app := trustmodel.App{Framework: "aspnetcore", Version: strconv.Itoa(a.version), Options: opts}
	if len(adv.Proxies) == 0 {
		opts[optHeaders] = "None"
		delete(opts, optEnvVar)
		return trustmodel.Setting{Code: "options.ForwardedHeaders = ForwardedHeaders.None;", App: app}, true
	}
	flags := a.flags | xForwardedFor | xForwardedProto
	var names, code []string
	for _, f := range []struct {
		bit  int
		name string
	}{{xForwardedFor, "XForwardedFor"}, {xForwardedHost, "XForwardedHost"}, {xForwardedProto, "XForwardedProto"}, {xForwardedPrefix, "XForwardedPrefix"}} {
		if flags&f.bit != 0 {
			names = append(names, f.name)
			code = append(code, "ForwardedHeaders."+f.name)
		}
	}
	hops := max(adv.Hops, 1)
	opts[optHeaders] = strings.Join(names, ", ")
	opts[optLimit] = hops
	networks := "KnownNetworks"
	if a.version >= 10 {
		networks = "KnownIPNetworks"
	}
	lines := []string{
		"options.ForwardedHeaders = " + strings.Join(code, " | ") + ";",
		fmt.Sprintf("options.ForwardLimit = %d;", hops),
		"options.KnownProxies.Clear();",
		"options." + networks + ".Clear();",
	}
	var trust []any
	for _, p := range adv.Proxies {
		if i := strings.IndexByte(p, '/'); i >= 0 {
			n, err := a.parseNetwork(p, i)
			if err != nil {
				return trustmodel.Setting{}, false
			}
			base, bits := n.prefix.Addr().String(), n.prefix.Bits()
			if a.version >= 10 {
				lines = append(lines, fmt.Sprintf("options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(\"%s/%d\"));", base, bits))
			} else {
				lines = append(lines, fmt.Sprintf("options.KnownNetworks.Add(new Microsoft.AspNetCore.HttpOverrides.IPNetwork(IPAddress.Parse(\"%s\"), %d));", base, bits))
			}
			trust = append(trust, fmt.Sprintf("%s/%d", base, bits))
			continue
		}
		if _, ok := parseIPAddress(p); !ok {
			return trustmodel.Setting{}, false
		}
		lines = append(lines, fmt.Sprintf("options.KnownProxies.Add(IPAddress.Parse(\"%s\"));", p))
		trust = append(trust, p)
	}
	app.TrustProxy, app.TrustProxySet = trust, true
	return trustmodel.Setting{Code: strings.Join(lines, "\n"), App: app}, true
}
