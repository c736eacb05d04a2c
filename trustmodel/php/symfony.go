package php

import (
	"fmt"
	"sort"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// privateSubnets is IpUtils::PRIVATE_SUBNETS (symfony/http-foundation 7.2
// IpUtils.php lines 21-34), what the PRIVATE_SUBNETS keyword expands to.
var privateSubnets = []string{
	"127.0.0.0/8", "10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "169.254.0.0/16",
	"0.0.0.0/8", "240.0.0.0/4", "::1/128", "fc00::/7", "fe80::/10", "::ffff:0:0/96", "::/128",
}

// headerNames are FrameworkBundle's trusted_headers names
// (symfony/framework-bundle DependencyInjection/Configuration.php) and the
// Request::HEADER_* constant names.
var headerNames = map[string]int{
	"forwarded":                  headerForwarded,
	"x-forwarded-for":            headerXForwardedFor,
	"x-forwarded-host":           headerXForwardedHost,
	"x-forwarded-proto":          headerXForwardedProto,
	"x-forwarded-port":           headerXForwardedPort,
	"x-forwarded-prefix":         headerXForwardedPrefx,
	"HEADER_FORWARDED":           headerForwarded,
	"HEADER_X_FORWARDED_FOR":     headerXForwardedFor,
	"HEADER_X_FORWARDED_HOST":    headerXForwardedHost,
	"HEADER_X_FORWARDED_PROTO":   headerXForwardedProto,
	"HEADER_X_FORWARDED_PORT":    headerXForwardedPort,
	"HEADER_X_FORWARDED_PREFIX":  headerXForwardedPrefx,
	"HEADER_X_FORWARDED_AWS_ELB": headerXForwardedAWS,
	"HEADER_X_FORWARDED_TRAEFIK": headerXForwardedTrfk,
}

// symfonyDefaultHeaders is FrameworkBundle's trusted_headers default:
// x-forwarded-for, x-forwarded-port, x-forwarded-proto.
const symfonyDefaultHeaders = headerXForwardedFor | headerXForwardedPort | headerXForwardedProto

// evaluator is a Symfony Request configured by the app: Symfony's own
// setTrustedProxies call (symfony) or Laravel's TrustProxies middleware (laravel).
type evaluator struct {
	framework string // "symfony" or "laravel"
	version   string
	// keywords72 is Symfony 7.2+'s setTrustedProxies: only the first
	// REMOTE_ADDR is replaced, and PRIVATE_SUBNETS/private_ranges expand.
	keywords72 bool
	// trust is the configured value: nil, a string or a list of strings.
	trust     any
	listTrust []string
	isList    bool
	headerSet int
	// headersSet is whether the app set trusted_headers (kept by Advise).
	headersSet bool
	joinLines  bool
	serverName string
	explain    bool
}

var serverNames = []string{"php-cli-server", "php-fpm"}

// New configures a symfony or laravel app. Versions: symfony 5.4, 6, 7
// (7 = 7.2 and later); laravel 10, 11, 12 (12.67), 13 (13.20+).
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	e := &evaluator{framework: strings.ToLower(app.Framework), version: app.Version, explain: app.Explain}
	switch e.framework {
	case "symfony":
		switch app.Version {
		case "5.4", "5":
			e.version = "5.4"
		case "6", "6.4", "7.0", "7.1":
		case "", "7", "7.2", "7.3", "7.4":
			if e.version == "" {
				e.version = "7"
			}
			e.keywords72 = true
		default:
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported symfony version %q (want 5.4, 6 or 7)", app.Version)}
		}
	case "laravel":
		switch app.Version {
		case "10", "11", "12", "13":
		case "":
			e.version = "12"
		default:
			return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unsupported laravel version %q (want 10, 11, 12 or 13)", app.Version)}
		}
		// Laravel 10 runs on Symfony 6.4; 11 and 12 on Symfony 7 (7.2+ today);
		// 13 on 7.4 or 8 (unverified here; modelled as 7.2).
		e.keywords72 = e.version != "10"
	default:
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("unknown framework %q for the php evaluator", app.Framework)}
	}
	if err := e.options(app); err != nil {
		return nil, err
	}
	if err := e.setTrust(app); err != nil {
		return nil, err
	}
	if err := e.setServer(app.Server); err != nil {
		return nil, err
	}
	if len(app.Middleware) > 0 {
		return nil, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.middleware: %s takes no middleware here (its trust is trust_proxy and options.trusted_headers)", e.framework)}
	}
	return e, nil
}

func (e *evaluator) options(app trustmodel.App) error {
	if e.framework == "symfony" {
		e.headerSet = symfonyDefaultHeaders
	} else {
		e.headerSet = laravelDefaultHeaders
	}
	for name, v := range app.Options {
		if name != "trusted_headers" {
			return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options: unknown option %q for %s (known: trusted_headers)", name, e.framework)}
		}
		set, err := e.parseHeaders(v)
		if err != nil {
			return err
		}
		e.headerSet, e.headersSet = set, true
	}
	return nil
}

// parseHeaders reads trusted_headers: a Request::HEADER_* bit set, a
// constant's name, or (symfony) a list of FrameworkBundle names.
func (e *evaluator) parseHeaders(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return e.headerInt(x)
	case float64:
		if x != float64(int(x)) {
			return 0, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.trusted_headers: %v is not an integer", x)}
		}
		return e.headerInt(int(x))
	case string:
		if e.framework == "laravel" {
			if e.version != "10" {
				return 0, fmt.Errorf("TrustProxies::withHeaders(): Argument #1 ($headers) must be of type int, string given")
			}
			// getTrustedHeaderNames: a constant's name, anything else the default.
			if set, ok := headerNames[x]; ok && strings.HasPrefix(x, "HEADER_") && x != "HEADER_X_FORWARDED_TRAEFIK" {
				return set, nil
			}
			return laravelDefaultHeaders, nil
		}
		return e.headerList(strings.Split(x, ","))
	case []any:
		if e.framework == "laravel" {
			return 0, &trustmodel.UnsupportedError{Msg: "app.options.trusted_headers: laravel takes an integer of Request::HEADER_* bits"}
		}
		names := make([]string, len(x))
		for i, n := range x {
			s, ok := n.(string)
			if !ok {
				return 0, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.trusted_headers: entry %d is %T, not a header name", i, n)}
			}
			names[i] = s
		}
		return e.headerList(names)
	}
	return 0, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.trusted_headers: want an integer or a list of header names, got %T", v)}
}

func (e *evaluator) headerInt(n int) (int, error) {
	if e.framework == "laravel" && e.version != "10" && n == 0 {
		// headers(): static::$alwaysTrustHeaders ?: $this->headers
		return laravelDefaultHeaders, nil
	}
	return n, nil
}

func (e *evaluator) headerList(names []string) (int, error) {
	set := 0
	for _, n := range names {
		n = strings.TrimSpace(n)
		bit, ok := headerNames[n]
		if !ok {
			known := make([]string, 0, len(headerNames))
			for k := range headerNames {
				known = append(known, k)
			}
			sort.Strings(known)
			return 0, &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.options.trusted_headers: unknown header %q (known: %s)", n, strings.Join(known, ", "))}
		}
		set |= bit
	}
	return set, nil
}

func (e *evaluator) setTrust(app trustmodel.App) error {
	if !app.TrustProxySet || app.TrustProxy == nil {
		return nil
	}
	switch x := app.TrustProxy.(type) {
	case string:
		e.trust = x
	case []any:
		list := make([]string, len(x))
		for i, v := range x {
			s, ok := v.(string)
			if !ok {
				return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy: entry %d is %T; %s compares proxies as strings", i, v, e.framework)}
			}
			list[i] = s
		}
		e.trust, e.listTrust, e.isList = x, list, true
	default:
		return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("trust_proxy: want a list of addresses or a comma-separated string, got %T", app.TrustProxy)}
	}
	return nil
}

func (e *evaluator) setServer(server map[string]any) error {
	e.serverName = "php-fpm"
	for k, v := range server {
		switch k {
		case "name":
			s, _ := v.(string)
			if i := sort.SearchStrings(serverNames, s); i == len(serverNames) || serverNames[i] != s {
				return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.server.name: unknown PHP server %q (known: %s)", s, strings.Join(serverNames, ", "))}
			}
			e.serverName = s
		case "version":
		default:
			return &trustmodel.UnsupportedError{Msg: fmt.Sprintf("app.server: unknown option %q for %s (known: name, version)", k, e.serverName)}
		}
	}
	e.joinLines = e.serverName == "php-cli-server"
	return nil
}

// setTrustedProxies is Request::setTrustedProxies: 5.4–7.1 replace every
// "REMOTE_ADDR" with $_SERVER['REMOTE_ADDR'] (dropped when unset); 7.2+
// replaces only the first, and expands the first PRIVATE_SUBNETS (else
// private_ranges) into IpUtils::PRIVATE_SUBNETS, appended.
func (e *evaluator) setTrustedProxies(list []proxy, s *serverVars) []proxy {
	if !e.keywords72 {
		out := make([]proxy, 0, len(list))
		for _, p := range list {
			if !p.null && p.text == "REMOTE_ADDR" {
				if s.hasRemoteAddr {
					out = append(out, proxy{text: s.remoteAddr})
				}
				continue
			}
			out = append(out, p)
		}
		return out
	}
	out := append([]proxy(nil), list...)
	if i := search(out, "REMOTE_ADDR"); i >= 0 {
		if s.hasRemoteAddr {
			out[i] = proxy{text: s.remoteAddr}
		} else {
			out = append(out[:i], out[i+1:]...)
		}
	}
	i := search(out, "PRIVATE_SUBNETS")
	if i < 0 {
		i = search(out, "private_ranges")
	}
	if i >= 0 {
		out = append(out[:i], out[i+1:]...)
		for _, p := range privateSubnets {
			out = append(out, proxy{text: p})
		}
	}
	return out
}

func search(list []proxy, s string) int {
	for i, p := range list {
		if !p.null && p.text == s {
			return i
		}
	}
	return -1
}

func toProxies(list []string) []proxy {
	out := make([]proxy, len(list))
	for i, s := range list {
		out[i] = proxy{text: s}
	}
	return out
}

// configure runs the app's trust configuration for one request: HttpKernel's
// Kernel::boot (symfony; a string is split on "," and trimmed) or Laravel's
// TrustProxies::handle. An error is an exception the configuration raises.
func (e *evaluator) configure(s *serverVars) (*request, error) {
	r := &request{server: s, headerSet: e.headerSet}
	if e.framework == "laravel" {
		return r, e.laravelHandle(r)
	}
	if e.isList {
		if len(e.listTrust) > 0 {
			r.proxies = e.setTrustedProxies(toProxies(e.listTrust), s)
		}
	} else if t, _ := e.trust.(string); truthy(t) {
		parts := strings.Split(t, ",")
		for i := range parts {
			parts[i] = phpTrim(parts[i])
		}
		r.proxies = e.setTrustedProxies(toProxies(parts), s)
	}
	return r, nil
}

func (e *evaluator) Name() string          { return e.framework + " " + e.version }
func (e *evaluator) AddressHeader() string { return "X-Forwarded-For" }

// Evaluate runs each accessor of SPEC §3.1 on its own Request object, as
// Symfony raises ConflictingHeadersException and SuspiciousOperationException
// only once per object.
func (e *evaluator) Evaluate(req trustmodel.Request) trustmodel.Result {
	s := newServerVars(req, e.joinLines)
	var res trustmodel.Result
	raise := func(field string, err error) {
		if res.Raised == nil {
			res.Raised = map[string]string{}
		}
		res.Raised[field] = err.Error()
	}
	fresh := func() (*request, error) {
		s2 := *s
		s2.headers = s.headers
		return e.configure(&s2)
	}
	if r, err := fresh(); err != nil {
		raise("ip", err)
	} else if ip, err := r.getClientIp(); err != nil {
		raise("ip", err)
	} else {
		res.IP = ip
		if e.explain {
			res.Steps = r.walk()
		}
	}
	if r, err := fresh(); err != nil {
		raise("protocol", err)
	} else if scheme, err := r.getScheme(); err != nil {
		raise("protocol", err)
	} else {
		res.Protocol = &scheme
	}
	if r, err := fresh(); err != nil {
		raise("secure", err)
	} else if secure, err := r.isSecure(); err != nil {
		raise("secure", err)
	} else {
		res.Secure = trustmodel.BoolPtr(secure)
	}
	if r, err := fresh(); err != nil {
		raise("host", err)
	} else if host, err := r.getHttpHost(); err != nil {
		raise("host", err)
	} else {
		res.Host = &host
	}
	if r, err := fresh(); err != nil {
		raise("hostname", err)
	} else if host, err := r.getHost(); err != nil {
		raise("hostname", err)
	} else {
		res.Hostname = &host
	}
	return res
}
