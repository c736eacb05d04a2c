//go:build !oldchi

package apps

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// chiClientIPMiddleware builds one of chi ≥5.3's ClientIPFrom* middlewares
// from a case's middleware entry. chi panics on a bad configuration at
// start-up; that is the framework's own refusal (an error line).
func chiClientIPMiddleware(m map[string]any) (mw func(http.Handler) http.Handler, err error) {
	defer func() {
		if p := recover(); p != nil {
			mw, err = nil, fmt.Errorf("%v", p)
		}
	}()
	known := map[string][]string{
		"client_ip_from_xff":                 {"prefixes"},
		"client_ip_from_header":              {"header", "prefixes"},
		"client_ip_from_xff_trusted_proxies": {"count"},
		"client_ip_from_remote_addr":         nil,
	}
	name, _ := m["name"].(string)
	keys, ok := known[name]
	if !ok {
		return nil, &ConfigError{fmt.Sprintf("unknown chi middleware %v", m["name"])}
	}
	for k := range m {
		found := k == "name"
		for _, n := range keys {
			found = found || k == n
		}
		if !found {
			return nil, &ConfigError{fmt.Sprintf("%s: unknown option %s", name, k)}
		}
	}
	prefixes, err := stringList(m["prefixes"])
	if err != nil {
		return nil, err
	}
	switch name {
	case "client_ip_from_xff":
		return middleware.ClientIPFromXFF(prefixes...), nil
	case "client_ip_from_header":
		header, _ := m["header"].(string)
		return middleware.ClientIPFromHeader(header, prefixes...), nil
	case "client_ip_from_xff_trusted_proxies":
		n, isNum := m["count"].(float64)
		if !isNum || n != float64(int(n)) {
			return nil, &ConfigError{"count wants an integer"}
		}
		return middleware.ClientIPFromXFFTrustedProxies(int(n)), nil
	}
	return middleware.ClientIPFromRemoteAddr, nil
}

// chiClientIP is what the app reads after a ClientIPFrom* middleware.
func chiClientIP(r *http.Request) string { return middleware.GetClientIP(r.Context()) }
