package php

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// trust is the app's compiled trust as trust(addr, hop): addr is trusted when
// IpUtils::checkIp matches it against the trusted proxies. The REMOTE_ADDR
// keyword (and Laravel's '*') stands for the peer, so it trusts hop 0 only.
type trust struct{ e *evaluator }

func (e *evaluator) Trust() trustmodel.Trust { return trust{e} }

func (t trust) Trusts(addr string, hop int) (bool, string) {
	s := &serverVars{headers: map[string]string{"HOST": "localhost"}}
	if hop == 0 {
		s.remoteAddr, s.hasRemoteAddr = addr, true
	}
	r, err := t.e.configure(s)
	if err != nil {
		return false, "the trust configuration raises " + err.Error()
	}
	proxies := r.proxies[:0:0]
	for _, p := range r.proxies {
		if !p.null {
			proxies = append(proxies, p)
		}
	}
	if len(proxies) == 0 {
		return false, "no proxy is trusted"
	}
	for _, p := range proxies {
		ok, err := checkIP(addr, []proxy{p})
		if err != nil {
			return false, fmt.Sprintf("IpUtils::checkIp raises TypeError on %q", p.text)
		}
		if ok {
			return true, fmt.Sprintf("matches %q", p.text)
		}
	}
	return false, "matches no trusted proxy"
}

func (t trust) String() string {
	var v string
	switch x := t.e.trust.(type) {
	case nil:
		v = "nothing (no trusted proxies)"
	case string:
		v = phpString(x)
	default:
		v = phpArray(t.e.listTrust)
	}
	return v + ", headers " + headerSetCode(t.e.headerSet)
}

func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func phpArray(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = phpString(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// headerSetCode writes a trusted header set as Request::HEADER_* constants.
func headerSetCode(set int) string {
	var parts []string
	for _, h := range []struct {
		bit  int
		name string
	}{
		{headerForwarded, "HEADER_FORWARDED"}, {headerXForwardedFor, "HEADER_X_FORWARDED_FOR"},
		{headerXForwardedHost, "HEADER_X_FORWARDED_HOST"}, {headerXForwardedProto, "HEADER_X_FORWARDED_PROTO"},
		{headerXForwardedPort, "HEADER_X_FORWARDED_PORT"}, {headerXForwardedPrefx, "HEADER_X_FORWARDED_PREFIX"},
	} {
		if set&h.bit != 0 {
			parts = append(parts, "Request::"+h.name)
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " | ")
}

// Advise writes the proxies in the app's own terms: Symfony's
// Request::setTrustedProxies (with the app's trusted headers), Laravel 11+'s
// $middleware->trustProxies(at: ...) in bootstrap/app.php, Laravel 10's
// $proxies property of App\Http\Middleware\TrustProxies.
func (e *evaluator) Advise(a trustmodel.Advice) (trustmodel.Setting, bool) {
	list := make([]any, len(a.Proxies))
	for i, p := range a.Proxies {
		list[i] = p
	}
	app := trustmodel.App{Framework: e.framework, Version: e.version, TrustProxy: list, TrustProxySet: true}
	if e.serverName != "php-fpm" {
		app.Server = map[string]any{"name": e.serverName}
	}
	if e.headersSet {
		app.Options = map[string]any{"trusted_headers": e.headerSet}
	}
	code := phpArray(a.Proxies)
	switch {
	case e.framework == "symfony":
		if !e.headersSet {
			app.Options = map[string]any{"trusted_headers": e.headerSet}
		}
		code = fmt.Sprintf("Request::setTrustedProxies(%s, %s)", code, headerSetCode(e.headerSet))
	case e.version == "10":
		code = fmt.Sprintf("protected $proxies = %s;", code)
	case e.headersSet:
		code = fmt.Sprintf("$middleware->trustProxies(at: %s, headers: %s)", code, headerSetCode(e.headerSet))
	default:
		code = fmt.Sprintf("$middleware->trustProxies(at: %s)", code)
	}
	return trustmodel.Setting{Code: code, App: app}, true
}
