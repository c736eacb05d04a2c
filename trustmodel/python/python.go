package python

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Frameworks are the app.framework names this package models.
var Frameworks = []string{"flask", "django", "fastapi"}

// New configures a Python app the way trustcheck.yaml describes it: the
// framework, its app server (app.server) and middleware (app.middleware).
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	if app.TrustProxySet {
		return nil, unsupported(fmt.Sprintf("app.trust_proxy: %s has no trust-proxy setting; configure %s", app.Framework, trustHint(app.Framework)))
	}
	switch strings.ToLower(app.Framework) {
	case "flask":
		return newFlask(app)
	case "django":
		return newDjango(app)
	case "fastapi":
		return newFastAPI(app)
	}
	return nil, unsupported(fmt.Sprintf("unknown Python framework %q", app.Framework))
}

func trustHint(fw string) string {
	switch strings.ToLower(fw) {
	case "flask":
		return "app.middleware [{name: proxy_fix, x_for: 1, x_proto: 1}]"
	case "django":
		return "app.options (SECURE_PROXY_SSL_HEADER, USE_X_FORWARDED_HOST, ...) and app.server"
	}
	return "app.server {name: uvicorn, forwarded_allow_ips: ...}"
}

func unsupported(msg string) error { return &trustmodel.UnsupportedError{Msg: msg} }

// unknownOption names an option the component does not have.
func unknownOption(where, name, component string, known []string) error {
	return unsupported(fmt.Sprintf("%s: unknown option %q for %s (known: %s)", where, name, component, strings.Join(known, ", ")))
}

// pyRepr is repr() of a str.
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// pyReprValue is repr() of a decoded YAML/JSON value as Python would hold it.
func pyReprValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyRepr(x)
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyReprValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, pyRepr(k)+": "+pyReprValue(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// rejectedResult is a request the server or framework answers itself: no
// accessor runs, so every field is absent.
func rejectedResult(r rejected) trustmodel.Result {
	return trustmodel.Result{Raised: map[string]string{"request": string(r)}}
}

func str(s string) *string { return &s }

// hopTrust is a count of trusted values from the right (ProxyFix's x_for):
// trust(addr, i) = i < n whoever the address is.
type hopTrust struct {
	n    int
	what string
}

func (h hopTrust) Trusts(_ string, i int) (bool, string) {
	if i < h.n {
		return true, fmt.Sprintf("hop %d < %s (the address is never checked)", i, h.what)
	}
	return false, fmt.Sprintf("hop %d >= %s", i, h.what)
}
func (h hopTrust) String() string {
	return fmt.Sprintf("%s: the %s value from the right, whoever sent it", h.what, ordinal(h.n))
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

// noTrust is an app that reads no forwarded address (REMOTE_ADDR only).
type noTrust struct{ why string }

func (n noTrust) Trusts(string, int) (bool, string) { return false, n.why }
func (n noTrust) String() string                    { return n.why }
