package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// SimulateOptions is the `trustcheck simulate` command line.
type SimulateOptions struct {
	Framework, Version string
	TrustProxy         string // a YAML scalar or list; "" = not set
	TrustProxySet      bool
	Options            []string // NAME=VALUE, VALUE as YAML
	Server             string   // a YAML mapping; "" = none
	Middleware         []string // YAML mappings, outermost first
	SessionSecure      string   // "", true, false or auto
	SessionProxy       string   // "", true or false
	Peer               string
	TLS                bool
	Headers            []string // "Name: value"
	Format             string   // text or json
	Batch              string   // FILE or "-"
}

// RunSimulate runs the simulate command. Every error it returns is exit code 2.
func RunSimulate(o SimulateOptions, stdin io.Reader, stdout io.Writer) error {
	if o.Batch != "" {
		in, name := stdin, "stdin"
		if o.Batch != "-" {
			f, err := os.Open(o.Batch)
			if err != nil {
				return err
			}
			defer f.Close()
			in, name = f, o.Batch
		}
		_, err := SimulateBatch(name, in, stdout)
		return err
	}
	app := trustmodel.App{Framework: o.Framework, Version: o.Version}
	if o.TrustProxySet {
		v, err := ParseYAMLValue(o.TrustProxy)
		if err != nil {
			return fmt.Errorf("--trust-proxy: %v", err)
		}
		app.TrustProxy, app.TrustProxySet = v, true
	}
	for _, opt := range o.Options {
		name, val, ok := strings.Cut(opt, "=")
		if !ok || name == "" {
			return fmt.Errorf("--option %q: want NAME=VALUE", opt)
		}
		v, err := ParseYAMLValue(val)
		if err != nil {
			return fmt.Errorf("--option %s: %v", name, err)
		}
		if app.Options == nil {
			app.Options = map[string]any{}
		}
		app.Options[name] = v
	}
	if o.Server != "" {
		m, err := yamlMapping("--server", o.Server)
		if err != nil {
			return err
		}
		app.Server = m
	}
	for _, mw := range o.Middleware {
		m, err := yamlMapping("--middleware", mw)
		if err != nil {
			return err
		}
		app.Middleware = append(app.Middleware, m)
	}
	if o.SessionSecure != "" || o.SessionProxy != "" {
		s, err := parseSessionFlags(o.SessionSecure, o.SessionProxy)
		if err != nil {
			return err
		}
		app.Session = s
	}
	if o.Peer == "" {
		return fmt.Errorf("--peer is required: the address the app sees the request come from")
	}
	if _, err := netip.ParseAddr(o.Peer); err != nil {
		return fmt.Errorf("--peer %q: not an IP address (the socket address the app sees, e.g. 127.0.0.1 or ::ffff:127.0.0.1)", o.Peer)
	}
	req := trustmodel.Request{Peer: o.Peer, TLS: o.TLS}
	for _, h := range o.Headers {
		name, val, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) != name || name == "" {
			return fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		// An HTTP parser drops the optional whitespace around a field value.
		req.Headers = append(req.Headers, trustmodel.HeaderLine{Name: name, Value: strings.Trim(val, " \t")})
	}
	out, r, ev := Simulate(app, req)
	if e, ok := out.(SimError); ok {
		if !o.TrustProxySet && (app.Server != nil || app.Middleware != nil || app.Options != nil) {
			return fmt.Errorf("%s refuses its configuration: %s", frameworkName(o.Framework, o.Version), e.Error)
		}
		return fmt.Errorf("%s throws for trust proxy %s: %s", frameworkName(o.Framework, o.Version), o.TrustProxy, e.Error)
	}
	switch o.Format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	case "", "text":
		WriteSimulation(stdout, ev, req, r)
		return nil
	}
	return fmt.Errorf("--format %q: simulate writes text or json", o.Format)
}

// yamlMapping reads a --server or --middleware value: a YAML mapping with a name.
func yamlMapping(flag, s string) (map[string]any, error) {
	v, err := ParseYAMLValue(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flag, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %q: want a YAML mapping with a name, e.g. '{name: proxy_fix, x_for: 1}'", flag, s)
	}
	if name, _ := m["name"].(string); name == "" {
		return nil, fmt.Errorf("%s %q: want a name", flag, s)
	}
	return m, nil
}

func parseSessionFlags(secure, proxy string) (*trustmodel.Session, error) {
	s := &trustmodel.Session{CookieSecure: false}
	switch secure {
	case "", "false":
	case "true":
		s.CookieSecure = true
	case "auto":
		s.CookieSecure = "auto"
	default:
		return nil, fmt.Errorf("--session-cookie-secure %q: want true, false or auto", secure)
	}
	switch proxy {
	case "":
	case "true", "false":
		b := proxy == "true"
		s.Proxy = &b
	default:
		return nil, fmt.Errorf("--session-proxy %q: want true or false", proxy)
	}
	return s, nil
}

// ParseYAMLValue reads a command-line value as trustcheck.yaml would:
// `1` is a number, `"1"` a string, `[loopback, 10.0.0.0/8]` a list.
func ParseYAMLValue(s string) (any, error) {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	return v, nil
}

func frameworkName(fw, version string) string {
	if fw == "" {
		fw = "express"
	}
	if version != "" {
		return fw + " " + version
	}
	return fw
}
