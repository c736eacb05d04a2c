package trustmodel

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is trustcheck.yaml (SPEC §3).
type Config struct {
	File    string
	Version int
	// Apps are the apps behind nginx: `app:` gives one, `apps:` several,
	// each then with a name and the upstreams that reach it.
	Apps  []AppSpec
	Edge  []EdgeSpec
	Nginx NginxSpec
}

// AppSpec is the app: its framework, trust setting and where it listens.
type AppSpec struct {
	Pos  Pos
	Name string
	// Upstreams are the proxy_pass targets that reach this app, as written
	// in nginx; empty: every target.
	Upstreams    []string
	UpstreamsPos Pos
	// ClientIPFrom is where the app takes the client address from:
	// "framework" (its accessor), "request-ip", "leftmost-xff" or
	// "header:NAME"; "" is "framework".
	ClientIPFrom     string
	ClientIPFromPos  Pos
	Framework        string
	FrameworkVersion string
	// TrustProxy is exactly what the app passes; TrustProxySet is false when
	// the file does not say (then nothing is known about the app's trust).
	TrustProxy           any
	TrustProxySet        bool
	TrustProxyPos        Pos
	Listen               string
	ListenPos            Pos
	ReachableDirectly    *bool
	ReachableDirectlyPos Pos
	Session              *Session
	SessionPos           Pos
	// Uses are the properties the app relies on; UsesSet is false when
	// the file does not say (catalog severities apply).
	Uses    []string
	UsesSet bool
	Options map[string]any
	// Server and Middleware are App.Server and App.Middleware as written.
	Server     map[string]any
	Middleware []map[string]any
}

// EdgeSpec is one hop in front of nginx, outermost first.
type EdgeSpec struct {
	Pos             Pos
	Name            string
	Preset          string
	Addresses       []netip.Prefix
	XForwardedFor   string // append | overwrite | preserve | remove
	XForwardedProto string // set | preserve | remove
	XForwardedHost  string // set | preserve | remove
	TLS             string // terminate | passthrough | none
}

// NginxSpec is what the file says about nginx itself.
type NginxSpec struct {
	Pos               Pos
	Config            string
	ConnectsFrom      string
	ReachableDirectly *bool
}

// EvaluatorApp returns the evaluator configuration the app's spec describes.
func (a *AppSpec) EvaluatorApp() App {
	return App{
		Framework: a.Framework, Version: a.FrameworkVersion,
		TrustProxy: a.TrustProxy, TrustProxySet: a.TrustProxySet,
		Options: a.Options, Session: a.Session,
		Server: a.Server, Middleware: a.Middleware, ClientIPFrom: a.ClientIPFrom,
	}
}

// AppLabel names the app in paths and findings: its name, or "app".
func (a *AppSpec) AppLabel() string {
	if a.Name != "" {
		return "app " + a.Name
	}
	return "app"
}

// ConfigError is a trustcheck.yaml problem at a line.
type ConfigError struct {
	Pos Pos
	Msg string
}

func (e *ConfigError) Error() string {
	if e.Pos.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Pos.File, e.Pos.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Pos.File, e.Msg)
}

// ParseConfig decodes trustcheck.yaml strictly: unknown keys, wrong types and
// invalid values are errors naming the line.
func ParseConfig(file string, data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlSyntaxError(file, err)
	}
	c := &Config{File: file, Version: 1}
	d := decoder{file: file}
	if len(doc.Content) == 0 {
		return c, nil // an empty file says nothing
	}
	root := doc.Content[0]
	err := d.mapping(root, "", map[string]func(*yaml.Node) error{
		"version": func(n *yaml.Node) error {
			v, err := d.int(n, "version")
			if err == nil && v != 1 {
				err = d.errorf(n, "version: %d is not supported (want 1)", v)
			}
			c.Version = v
			return err
		},
		"app": func(n *yaml.Node) error {
			if len(c.Apps) > 0 {
				return d.errorf(n, "app and apps: give one app under app, or several under apps")
			}
			c.Apps = []AppSpec{{}}
			return d.app(n, &c.Apps[0], "app.")
		},
		"apps": func(n *yaml.Node) error {
			if len(c.Apps) > 0 {
				return d.errorf(n, "app and apps: give one app under app, or several under apps")
			}
			return d.apps(n, &c.Apps)
		},
		"edge":  func(n *yaml.Node) error { return d.edge(n, &c.Edge) },
		"nginx": func(n *yaml.Node) error { return d.nginx(n, &c.Nginx) },
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// yamlSyntaxError turns yaml.v3's "yaml: line N: msg" into file:N: msg.
func yamlSyntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ": ")
		return &ConfigError{Pos: Pos{File: file, Line: line}, Msg: "invalid YAML: " + rest}
	}
	return &ConfigError{Pos: Pos{File: file}, Msg: "invalid YAML: " + msg}
}

type decoder struct{ file string }

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line} }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) error {
	return &ConfigError{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)}
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return fmt.Sprintf("the string %q", n.Value)
}

// mapping calls each field's handler; keys not in fields are errors.
func (d *decoder) mapping(n *yaml.Node, path string, fields map[string]func(*yaml.Node) error) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			return d.errorf(n, "want a mapping of version, app (or apps), edge and nginx at the top level, got %s", kind(n))
		}
		return d.errorf(n, "%s: want a mapping, got %s", strings.TrimSuffix(path, "."), kind(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			sort.Strings(names)
			return d.errorf(k, "unknown key %q in %s (known: %s)", k.Value, orTop(path), strings.Join(names, ", "))
		}
		if seen[k.Value] {
			return d.errorf(k, "duplicate key %q", path+k.Value)
		}
		seen[k.Value] = true
		if v.Kind == yaml.AliasNode {
			return d.errorf(v, "%s: aliases are not supported", path+k.Value)
		}
		if err := f(v); err != nil {
			return err
		}
	}
	return nil
}

func orTop(path string) string {
	if path == "" {
		return "the top level"
	}
	return strings.TrimSuffix(path, ".")
}

func (d *decoder) string(n *yaml.Node, name string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", d.errorf(n, "%s: want a string, got %s", name, kind(n))
	}
	return n.Value, nil
}

// scalarString accepts any scalar as text: `framework_version: 5` is "5".
func (d *decoder) scalarString(n *yaml.Node, name string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", d.errorf(n, "%s: want a string, got %s", name, kind(n))
	}
	return n.Value, nil
}

func (d *decoder) bool(n *yaml.Node, name string) (*bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		return nil, d.errorf(n, "%s: want true or false, got %s", name, kind(n))
	}
	return &b, nil
}

func (d *decoder) int(n *yaml.Node, name string) (int, error) {
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, d.errorf(n, "%s: want a whole number, got %s", name, kind(n))
	}
	return v, nil
}

func (d *decoder) oneOf(n *yaml.Node, name string, allowed ...string) (string, error) {
	s, err := d.string(n, name)
	if err != nil {
		return "", err
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", d.errorf(n, "%s: %q is not one of %s", name, s, strings.Join(allowed, ", "))
}

// value decodes a free-form value (trust_proxy, options) as JS would see it.
func (d *decoder) value(n *yaml.Node, name string) (any, error) {
	if err := d.noAliases(n, name); err != nil {
		return nil, err
	}
	var v any
	if err := n.Decode(&v); err != nil {
		// yaml.v3 lists its errors on lines of their own ("line N: ...");
		// the first names the place.
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg := te.Errors[0]
			var line int
			if k, _ := fmt.Sscanf(msg, "line %d:", &line); k == 1 {
				_, msg, _ = strings.Cut(msg, ": ")
				return nil, &ConfigError{Pos: Pos{File: d.file, Line: line}, Msg: name + ": " + msg}
			}
			return nil, d.errorf(n, "%s: %s", name, msg)
		}
		return nil, d.errorf(n, "%s: %v", name, err)
	}
	return v, nil
}

// noAliases refuses aliases anywhere inside n: values are small, and aliases
// are how a YAML bomb multiplies.
func (d *decoder) noAliases(n *yaml.Node, name string) error {
	if n.Kind == yaml.AliasNode {
		return d.errorf(n, "%s: aliases are not supported", name)
	}
	for _, c := range n.Content {
		if err := d.noAliases(c, name); err != nil {
			return err
		}
	}
	return nil
}

// Frameworks are the names app.framework takes; each ecosystem adds its own.
var Frameworks = []string{"express", "fastify", "koa", "rails", "laravel", "symfony", "spring-boot", "aspnetcore", "flask", "django", "fastapi", "gin", "echo", "chi"}

// apps decodes `apps:`, a list of app mappings each with a unique name;
// with several, each names its upstreams, so that every target is one
// app's or another service's.
func (d *decoder) apps(n *yaml.Node, out *[]AppSpec) error {
	if n.Kind != yaml.SequenceNode {
		return d.errorf(n, "apps: want a list of app mappings, got %s", kind(n))
	}
	if len(n.Content) == 0 {
		return d.errorf(n, "apps: an empty list describes no app")
	}
	names := map[string]bool{}
	for i, e := range n.Content {
		path := fmt.Sprintf("apps[%d].", i)
		var a AppSpec
		if err := d.app(e, &a, path); err != nil {
			return err
		}
		switch {
		case a.Name == "":
			return d.errorf(e, "%sname: each of several apps needs a name", path)
		case names[a.Name]:
			return d.errorf(e, "%sname: %q names two apps", path, a.Name)
		case len(n.Content) > 1 && len(a.Upstreams) == 0:
			return d.errorf(e, "%supstreams: with several apps, each lists the proxy_pass targets that reach it", path)
		}
		names[a.Name] = true
		*out = append(*out, a)
	}
	claimed := map[string]string{}
	for _, a := range *out {
		for _, u := range a.Upstreams {
			if other, ok := claimed[u]; ok {
				return &ConfigError{Pos: a.UpstreamsPos, Msg: fmt.Sprintf("apps: upstream %q is claimed by both %q and %q", u, other, a.Name)}
			}
			claimed[u] = a.Name
		}
	}
	return nil
}

func (d *decoder) app(n *yaml.Node, a *AppSpec, path string) error {
	a.Pos = d.pos(n)
	return d.mapping(n, path, map[string]func(*yaml.Node) error{
		"name": func(v *yaml.Node) (err error) {
			a.Name, err = d.string(v, path+"name")
			return err
		},
		"upstreams": func(v *yaml.Node) error {
			a.UpstreamsPos = d.pos(v)
			if v.Kind != yaml.SequenceNode {
				return d.errorf(v, "%supstreams: want a list of proxy_pass targets, got %s", path, kind(v))
			}
			for _, e := range v.Content {
				s, err := d.scalarString(e, path+"upstreams")
				if err != nil {
					return err
				}
				if s = strings.TrimSpace(s); s == "" {
					return d.errorf(e, "%supstreams: an empty target", path)
				}
				a.Upstreams = append(a.Upstreams, s)
			}
			return nil
		},
		"client_ip_from": func(v *yaml.Node) error {
			s, err := d.string(v, path+"client_ip_from")
			if err != nil {
				return err
			}
			switch {
			case s == "framework" || s == "request-ip" || s == "leftmost-xff":
			case strings.HasPrefix(s, "header:") && validHeaderName(s[len("header:"):]):
			default:
				return d.errorf(v, "%sclient_ip_from: want framework, request-ip, leftmost-xff or header:NAME, got %q", path, s)
			}
			a.ClientIPFrom, a.ClientIPFromPos = s, d.pos(v)
			return nil
		},
		"framework": func(v *yaml.Node) (err error) {
			a.Framework, err = d.oneOf(v, path+"framework", Frameworks...)
			return err
		},
		"framework_version": func(v *yaml.Node) (err error) {
			a.FrameworkVersion, err = d.scalarString(v, path+"framework_version")
			return err
		},
		"trust_proxy": func(v *yaml.Node) (err error) {
			a.TrustProxy, err = d.value(v, path+"trust_proxy")
			a.TrustProxySet, a.TrustProxyPos = true, d.pos(v)
			return err
		},
		"listen": func(v *yaml.Node) (err error) {
			a.ListenPos = d.pos(v)
			if a.Listen, err = d.scalarString(v, path+"listen"); err != nil {
				return err
			}
			if _, err := ParseListen(a.Listen); err != nil {
				return d.errorf(v, "%slisten: %v", path, err)
			}
			return nil
		},
		"reachable_directly": func(v *yaml.Node) (err error) {
			a.ReachableDirectly, err = d.bool(v, path+"reachable_directly")
			a.ReachableDirectlyPos = d.pos(v)
			return err
		},
		"session": func(v *yaml.Node) error {
			a.SessionPos = d.pos(v)
			a.Session = &Session{CookieSecure: false}
			return d.mapping(v, path+"session.", map[string]func(*yaml.Node) error{
				"cookie_secure": func(v *yaml.Node) error {
					if v.ShortTag() == "!!str" && v.Value == "auto" {
						a.Session.CookieSecure = "auto"
						return nil
					}
					b, err := d.bool(v, path+"session.cookie_secure")
					if err != nil {
						return d.errorf(v, "%ssession.cookie_secure: want true, false or auto, got %s", path, kind(v))
					}
					a.Session.CookieSecure = *b
					return nil
				},
				"proxy": func(v *yaml.Node) (err error) {
					if v.ShortTag() == "!!null" {
						return nil
					}
					a.Session.Proxy, err = d.bool(v, path+"session.proxy")
					return err
				},
			})
		},
		"uses": func(v *yaml.Node) error {
			a.UsesSet = true
			if v.Kind != yaml.SequenceNode {
				return d.errorf(v, "%suses: want a list, got %s", path, kind(v))
			}
			for _, e := range v.Content {
				s, err := d.oneOf(e, path+"uses", "client_ip", "protocol", "hostname")
				if err != nil {
					return err
				}
				a.Uses = append(a.Uses, s)
			}
			return nil
		},
		"options": func(v *yaml.Node) error {
			val, err := d.value(v, path+"options")
			if err != nil {
				return err
			}
			m, ok := val.(map[string]any)
			if !ok && val != nil {
				return d.errorf(v, "%soptions: want a mapping, got %s", path, kind(v))
			}
			a.Options = m
			return nil
		},
		"server": func(v *yaml.Node) error {
			m, err := d.namedMapping(v, path+"server")
			a.Server = m
			return err
		},
		"middleware": func(v *yaml.Node) error {
			if v.Kind != yaml.SequenceNode {
				return d.errorf(v, "%smiddleware: want a list, got %s", path, kind(v))
			}
			for i, e := range v.Content {
				m, err := d.namedMapping(e, fmt.Sprintf("%smiddleware[%d]", path, i))
				if err != nil {
					return err
				}
				a.Middleware = append(a.Middleware, m)
			}
			return nil
		},
	})
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// namedMapping decodes an app server or middleware: a mapping with a
// string "name" and the component's own options, checked by its evaluator.
func (d *decoder) namedMapping(n *yaml.Node, name string) (map[string]any, error) {
	val, err := d.value(n, name)
	if err != nil {
		return nil, err
	}
	m, ok := val.(map[string]any)
	if !ok {
		return nil, d.errorf(n, "%s: want a mapping with a name, got %s", name, kind(n))
	}
	if s, ok := m["name"].(string); !ok || s == "" {
		return nil, d.errorf(n, "%s: want a name", name)
	}
	return m, nil
}

func (d *decoder) edge(n *yaml.Node, out *[]EdgeSpec) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.errorf(n, "edge: want a list of hops, outermost first, got %s", kind(n))
	}
	for i, h := range n.Content {
		e := EdgeSpec{Pos: d.pos(h)}
		p := fmt.Sprintf("edge[%d].", i)
		var addrs *yaml.Node
		fields := map[string]func(*yaml.Node) error{
			"name": func(v *yaml.Node) (err error) { e.Name, err = d.string(v, p+"name"); return },
			"preset": func(v *yaml.Node) (err error) {
				if e.Preset, err = d.string(v, p+"preset"); err != nil {
					return err
				}
				if _, ok := edgePresets[e.Preset]; !ok {
					return d.errorf(v, "%spreset: unknown preset %q (known: %s)", p, e.Preset, strings.Join(PresetNames(), ", "))
				}
				return nil
			},
			"addresses": func(v *yaml.Node) error {
				addrs = v
				if v.Kind != yaml.SequenceNode {
					return d.errorf(v, "%saddresses: want a list of addresses or CIDR ranges, got %s", p, kind(v))
				}
				for _, a := range v.Content {
					s, err := d.string(a, p+"addresses")
					if err != nil {
						return err
					}
					pfx, err := ParsePrefix(s)
					if err != nil {
						return d.errorf(a, "%saddresses: %v", p, err)
					}
					e.Addresses = append(e.Addresses, pfx)
				}
				return nil
			},
			"x_forwarded_for": func(v *yaml.Node) (err error) {
				e.XForwardedFor, err = d.oneOf(v, p+"x_forwarded_for", "append", "overwrite", "preserve", "remove")
				return
			},
			"x_forwarded_proto": func(v *yaml.Node) (err error) {
				e.XForwardedProto, err = d.oneOf(v, p+"x_forwarded_proto", "set", "preserve", "remove")
				return
			},
			"x_forwarded_host": func(v *yaml.Node) (err error) {
				e.XForwardedHost, err = d.oneOf(v, p+"x_forwarded_host", "set", "preserve", "remove")
				return
			},
			"tls": func(v *yaml.Node) (err error) {
				e.TLS, err = d.oneOf(v, p+"tls", "terminate", "passthrough", "none")
				return
			},
		}
		if err := d.mapping(h, p, fields); err != nil {
			return err
		}
		if err := e.applyPreset(); err != nil {
			return d.errorf(h, "%s%v", p, err)
		}
		if len(e.Addresses) == 0 {
			at := h
			if addrs != nil {
				at = addrs
			}
			return d.errorf(at, "%saddresses: say where this hop connects from (a preset or a list of ranges)", p)
		}
		if e.Name == "" {
			e.Name = e.Preset
			if e.Name == "" {
				e.Name = fmt.Sprintf("edge %d", i+1)
			}
		}
		*out = append(*out, e)
	}
	return nil
}

func (d *decoder) nginx(n *yaml.Node, s *NginxSpec) error {
	s.Pos = d.pos(n)
	return d.mapping(n, "nginx.", map[string]func(*yaml.Node) error{
		"config": func(v *yaml.Node) (err error) { s.Config, err = d.string(v, "nginx.config"); return },
		"connects_from": func(v *yaml.Node) (err error) {
			if s.ConnectsFrom, err = d.scalarString(v, "nginx.connects_from"); err != nil {
				return err
			}
			if _, err := netip.ParseAddr(s.ConnectsFrom); err != nil {
				return d.errorf(v, "nginx.connects_from: %q is not an IP address", s.ConnectsFrom)
			}
			return nil
		},
		"reachable_directly": func(v *yaml.Node) (err error) {
			s.ReachableDirectly, err = d.bool(v, "nginx.reachable_directly")
			return
		},
	})
}

// ParsePrefix reads an address or CIDR range as written in trustcheck.yaml.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Listen is where the app binds.
type Listen struct {
	Addr netip.Addr // unspecified (0.0.0.0 or ::) for a wildcard bind
	Port uint16
	Unix string // a unix socket path
	// PlainIPv4: the app's runtime reports an IPv4 peer of a dual-stack
	// socket as plain IPv4 (Go's net, Java's InetAddress), not ::ffff:.
	PlainIPv4 bool
}

// Public reports whether clients other than local processes can connect.
func (l Listen) Public() bool {
	return l.Unix == "" && !l.Addr.IsLoopback()
}

// PeerAddr is the address a socket listening on l reports for a peer
// connecting from addr: Node's listen(port) without a host binds the
// dual-stack "::", where an IPv4 peer shows as ::ffff:a.b.c.d (and that is
// what the trust setting is asked about).
func (l Listen) PeerAddr(addr string) string {
	if l.Unix != "" || !l.Addr.Is6() || !l.Addr.IsUnspecified() || l.PlainIPv4 {
		return addr
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return addr
	}
	return netip.AddrFrom16(a.As16()).String()
}

// ParseListen reads app.listen: "127.0.0.1:3000", "[::1]:3000", "0.0.0.0:3000",
// ":3000" or "3000" (Node's wildcard), or "unix:/path".
func ParseListen(s string) (Listen, error) {
	if p, ok := strings.CutPrefix(s, "unix:"); ok {
		return Listen{Unix: p}, nil
	}
	if !strings.Contains(s, ":") {
		s = ":" + s
	}
	host, port, ok := strings.Cut(s, ":")
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]:")
		if i < 0 {
			return Listen{}, fmt.Errorf("%q: want ADDRESS:PORT", s)
		}
		host, port, ok = s[1:i], s[i+2:], true
	} else if strings.Count(s, ":") > 1 {
		return Listen{}, fmt.Errorf("%q: write IPv6 addresses in brackets, [::1]:3000", s)
	}
	var l Listen
	if _, err := fmt.Sscanf(port, "%d", &l.Port); !ok || err != nil || fmt.Sprint(l.Port) != port || l.Port == 0 {
		return Listen{}, fmt.Errorf("%q: want ADDRESS:PORT with a port from 1 to 65535", s)
	}
	switch host {
	case "", "*":
		l.Addr = netip.IPv6Unspecified()
	case "localhost":
		l.Addr = netip.MustParseAddr("127.0.0.1")
	default:
		a, err := netip.ParseAddr(host)
		if err != nil {
			return Listen{}, fmt.Errorf("%q: %q is not an IP address", s, host)
		}
		l.Addr = a
	}
	return l, nil
}
