package ruby

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// trust is RemoteIp's proxies as trust(addr, hop): whether `proxy === addr`
// for some proxy. Rails asks it of every address (the hop does not matter),
// and never requires the peer to be trusted before reading the headers.
type trust struct{ r *rails }

func (r *rails) Trust() trustmodel.Trust { return trust{r} }

func (t trust) Trusts(addr string, _ int) (bool, string) {
	if a, err := parseIPAddr(addr); err != nil || !a.single() {
		return false, "not one address to IPAddr: skipped, never the answer"
	}
	for i := range t.r.proxies {
		if t.r.proxies[i].matches(addr, true) {
			return true, "matches " + t.r.proxies[i].shown
		}
	}
	return false, "matches no trusted proxy"
}

func (t trust) String() string {
	parts := make([]string, len(t.r.proxies))
	for i, p := range t.r.proxies {
		parts[i] = p.shown
	}
	s := "[" + strings.Join(parts, ", ") + "]"
	if !t.r.custom {
		s += " (the defaults)"
	}
	return s
}

// Advise writes config.action_dispatch.trusted_proxies as an Array of
// IPAddr, which replaces the defaults. Rails cannot be told to trust
// nothing: RemoteIp reads X-Forwarded-For from any peer.
func (r *rails) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	if len(a.Proxies) == 0 {
		return trustmodel.Setting{}, false
	}
	list := make([]any, len(a.Proxies))
	code := make([]string, len(a.Proxies))
	for i, p := range a.Proxies {
		code[i] = fmt.Sprintf("IPAddr.new(%q)", p)
		list[i] = code[i]
	}
	app := trustmodel.App{Framework: "rails", Version: r.v.name, TrustProxy: list, TrustProxySet: true, Options: r.options}
	return trustmodel.Setting{Code: "config.action_dispatch.trusted_proxies = [" + strings.Join(code, ", ") + "]", App: app}, true
}
