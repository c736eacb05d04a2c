package lint

import "testing"

func TestProxyTarget(t *testing.T) {
	for url, want := range map[string]string{
		"http://backend":                   "backend",
		"http://backend/api/":              "backend",
		"https://127.0.0.1:3000":           "127.0.0.1:3000",
		"http://[::1]:3000/x":              "[::1]:3000",
		"http://unix:/run/app.sock:/api/":  "unix:/run/app.sock",
		"http://unix:/run/app.sock":        "unix:/run/app.sock",
		"http://$app_upstream":             "$app_upstream",
		"http://$app_upstream$request_uri": "$app_upstream$request_uri",
		"127.0.0.1:9000":                   "127.0.0.1:9000",
		"unix:/run/php/php8.2-fpm.sock":    "unix:/run/php/php8.2-fpm.sock",
	} {
		if got := proxyTarget(url); got != want {
			t.Errorf("proxyTarget(%q) = %q, want %q", url, got, want)
		}
	}
}
