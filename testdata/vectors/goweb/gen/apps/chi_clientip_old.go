//go:build oldchi

package apps

import "net/http"

// Before chi 5.3.0 there is no ClientIPFrom* middleware (go.old*.mod
// builds use -tags oldchi).
func chiClientIPMiddleware(m map[string]any) (func(http.Handler) http.Handler, error) {
	return nil, &ConfigError{"no ClientIPFrom* middleware before chi 5.3.0"}
}

func chiClientIP(*http.Request) string { return "" }
