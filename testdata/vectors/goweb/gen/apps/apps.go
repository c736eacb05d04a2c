// Package apps builds one real gin, echo or chi app per configuration, each
// answering every request with the accessor fields trustcheck predicts
// (SPEC §3.1) as JSON. The vector generator runs them on fake connections
// through net/http's real server; the e2e servers run them on a real socket.
package apps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/labstack/echo/v4"
)

// Versions are the versions of the framework modules built in, as the cases
// name them ("1.12.0"): go.mod pins the newest, and each go.*.mod beside it
// an older set (go run -modfile=go.old1.mod .).
var Versions = func() map[string]string {
	v := map[string]string{}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		panic("no build information")
	}
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		switch d.Path {
		case "github.com/gin-gonic/gin":
			v["gin"] = strings.TrimPrefix(d.Version, "v")
		case "github.com/labstack/echo/v4":
			v["echo"] = strings.TrimPrefix(d.Version, "v")
		case "github.com/go-chi/chi/v5":
			v["chi"] = strings.TrimPrefix(d.Version, "v")
		}
	}
	return v
}()

// Config is a case's app configuration (the simulate --batch fields).
type Config struct {
	Framework  string           `json:"framework"`
	Version    string           `json:"version"`
	TrustProxy json.RawMessage  `json:"trust_proxy,omitempty"`
	Options    map[string]any   `json:"options,omitempty"`
	Middleware []map[string]any `json:"middleware,omitempty"`
}

// Key identifies a configuration, for caching built apps.
func (c Config) Key() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// Answer is one response: the accessor fields, null where the framework
// has no such accessor.
type Answer struct {
	IP       *string   `json:"ip"`
	IPs      []*string `json:"ips"`
	Protocol *string   `json:"protocol"`
	Secure   *bool     `json:"secure"`
	Host     *string   `json:"host"`
	Hostname *string   `json:"hostname"`
}

func write(w http.ResponseWriter, a Answer) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(a)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// hostname is url.URL.Hostname()'s rule, SPEC §3.1's "host without port"
// for Go frameworks.
func hostname(host string) string { return (&url.URL{Host: host}).Hostname() }

// ConfigError is a configuration the case describes wrongly (not one the
// framework rejects): the generator stops on it.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// New builds the app. A non-ConfigError error is the framework's own
// refusal (gin's SetTrustedProxies error), recorded as {"error": ...}.
func New(c Config) (http.Handler, error) {
	if v, ok := Versions[c.Framework]; !ok || c.Version != v {
		return nil, &ConfigError{fmt.Sprintf("no %s %q here (have %v)", c.Framework, c.Version, Versions)}
	}
	switch c.Framework {
	case "gin":
		return newGin(c)
	case "echo":
		return newEcho(c)
	case "chi":
		return newChi(c)
	}
	return nil, &ConfigError{"unknown framework " + c.Framework}
}

func checkKnown(c Config, known ...string) error {
	var bad []string
	for k := range c.Options {
		found := false
		for _, n := range known {
			found = found || k == n
		}
		if !found {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		return &ConfigError{fmt.Sprintf("unknown %s options %v", c.Framework, bad)}
	}
	return nil
}

func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &ConfigError{fmt.Sprintf("want a list of strings, got %T", v)}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, &ConfigError{fmt.Sprintf("want a string, got %T", e)}
		}
		out = append(out, s)
	}
	return out, nil
}

func newGin(c Config) (http.Handler, error) {
	if err := checkKnown(c, "TrustedPlatform", "RemoteIPHeaders", "ForwardedByClientIP", "AppEngine"); err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if v, ok := c.Options["TrustedPlatform"]; ok {
		r.TrustedPlatform, _ = v.(string)
	}
	if v, ok := c.Options["RemoteIPHeaders"]; ok {
		list, err := stringList(v)
		if err != nil {
			return nil, err
		}
		r.RemoteIPHeaders = list
	}
	if v, ok := c.Options["ForwardedByClientIP"]; ok {
		r.ForwardedByClientIP, _ = v.(bool)
	}
	if v, ok := c.Options["AppEngine"]; ok {
		r.AppEngine, _ = v.(bool)
	}
	if len(c.TrustProxy) > 0 {
		var v any
		if err := json.Unmarshal(c.TrustProxy, &v); err != nil {
			return nil, &ConfigError{err.Error()}
		}
		list, err := stringList(v)
		if err != nil {
			return nil, err
		}
		if v != nil && list == nil {
			list = []string{}
		}
		if err := r.SetTrustedProxies(list); err != nil {
			return nil, err
		}
	}
	r.Any("/*path", func(c *gin.Context) {
		host := c.Request.Host
		name := hostname(host)
		ip := c.ClientIP()
		write(c.Writer, Answer{IP: &ip, Host: &host, Hostname: &name})
	})
	return r, nil
}

// peerHost is what an app that reads r.RemoteAddr takes as the address:
// the host when RemoteAddr is host:port, else all of it (RealIP stores a
// bare IP). The peer's port is not part of trustcheck's model.
func peerHost(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}

func newChi(c Config) (http.Handler, error) {
	if err := checkKnown(c); err != nil {
		return nil, err
	}
	if len(c.TrustProxy) > 0 {
		return nil, &ConfigError{"chi has no trust setting"}
	}
	r := chi.NewRouter()
	clientIP := false
	for _, m := range c.Middleware {
		switch m["name"] {
		case "real_ip":
			if len(m) != 1 {
				return nil, &ConfigError{"real_ip takes no options"}
			}
			r.Use(middleware.RealIP)
		default:
			mw, err := chiClientIPMiddleware(m)
			if err != nil {
				return nil, err
			}
			r.Use(mw)
			clientIP = true
		}
	}
	r.HandleFunc("/*", func(w http.ResponseWriter, r *http.Request) {
		ip := peerHost(r.RemoteAddr)
		if clientIP {
			ip = chiClientIP(r)
		}
		host := r.Host
		name := hostname(host)
		write(w, Answer{IP: &ip, Host: &host, Hostname: &name})
	})
	return r, nil
}

func newEcho(c Config) (http.Handler, error) {
	if err := checkKnown(c, "extractor", "TrustLoopback", "TrustLinkLocal", "TrustPrivateNet", "TrustIPRange", "SchemeExtractor"); err != nil {
		return nil, err
	}
	if len(c.TrustProxy) > 0 {
		return nil, &ConfigError{"echo has no trust setting (options)"}
	}
	opts, err := echoTrustOptions(c.Options)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if v, ok := c.Options["SchemeExtractor"]; ok {
		if err := setSchemeExtractor(e, v); err != nil {
			return nil, err
		}
	}
	switch x := c.Options["extractor"]; x {
	case nil:
	case "direct":
		e.IPExtractor = echo.ExtractIPDirect()
	case "x-forwarded-for":
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	case "x-real-ip":
		e.IPExtractor = echo.ExtractIPFromRealIPHeader(opts...)
	default:
		return nil, &ConfigError{fmt.Sprintf("unknown extractor %v", x)}
	}
	e.Any("/*", func(c echo.Context) error {
		ip := c.RealIP()
		scheme := c.Scheme()
		tls := c.IsTLS()
		host := c.Request().Host
		name := hostname(host)
		write(c.Response(), Answer{IP: &ip, Protocol: &scheme, Secure: &tls, Host: &host, Hostname: &name})
		return nil
	})
	return e, nil
}

// echoTrustOptions are the TrustOptions among the options (or among a
// SchemeExtractor entry's keys).
func echoTrustOptions(o map[string]any) ([]echo.TrustOption, error) {
	var opts []echo.TrustOption
	for _, t := range []struct {
		name string
		fn   func(bool) echo.TrustOption
	}{{"TrustLoopback", echo.TrustLoopback}, {"TrustLinkLocal", echo.TrustLinkLocal}, {"TrustPrivateNet", echo.TrustPrivateNet}} {
		if v, ok := o[t.name]; ok {
			b, isBool := v.(bool)
			if !isBool {
				return nil, &ConfigError{t.name + " wants a bool"}
			}
			opts = append(opts, t.fn(b))
		}
	}
	if v, ok := o["TrustIPRange"]; ok {
		list, err := stringList(v)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			// The app builds each range with net.ParseCIDR and stops on its error.
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				return nil, err
			}
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return opts, nil
}
