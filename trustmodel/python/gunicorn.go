package python

import (
	"fmt"
	"sort"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// gunicorn release lines whose forwarded-header handling differs
// (benoitc/gunicorn tags; Debian 12 ships 20.1.0).
const (
	gunicorn201 = iota // 20.1.0 (Debian): http/message.py parse_headers, exact-string allow list; X_Forwarded_For aliases X-Forwarded-For
	gunicorn22         // 22.0.0 http/message.py:142 `if "_" in name`: dropped (header_map="drop"), after the secure-scheme check
	gunicorn23         // 23.0.0 config.py:405 validate_string_to_addr_list (ip_address), :1277 default "127.0.0.1,::1"; forwarder_headers; values with CTLs refused
	gunicorn241        // 24.1.0 config.py:407 ip_network(strict=False); http/message.py:61 _ip_in_allow_list
	gunicorn25         // 25.0.0 config.py:442 strict ip_network, entries kept as strings (also 26.0)
	gunicorn261        // 26.1.0 http/message.py:154 RFC9110_5_3_SINGLETON_FIELDS: a repeated Host or Content-Type is InvalidHeader (:232 _apply_header_policy)
)

// gunicorn is the WSGI server's configuration; plain is a WSGI server that
// rewrites nothing (no secure scheme headers, nobody trusted).
type gunicorn struct {
	version     int
	label       string
	plain       bool
	allow       []string    // forwarded_allow_ips as gunicorn keeps it
	nets        []pyNetwork // 24.1+: the networks membership is decided by
	secure      map[string]string
	forwarder   []string       // forwarder_headers (23+)
	options     map[string]any // app.server as written, for advice that keeps it
	workerClass string
}

var gunicornDefaultSecure = map[string]string{
	"X-FORWARDED-PROTOCOL": "ssl",
	"X-FORWARDED-PROTO":    "https",
	"X-FORWARDED-SSL":      "on",
}

var gunicornOptions = []string{"forwarded_allow_ips", "forwarder_headers", "proxy_allow_ips", "proxy_protocol", "secure_scheme_headers", "worker_class"}

// uvicornWorker is the worker_class that serves an ASGI app under gunicorn.
const uvicornWorker = "uvicorn.workers.UvicornWorker"

func gunicornVersion(v string) (int, string, bool) {
	switch v {
	case "20", "20.1", "20.1.0":
		return gunicorn201, "20.1", true
	case "22", "22.0", "22.0.0":
		return gunicorn22, "22", true
	case "23", "23.0", "23.0.0", "24.0", "24.0.0":
		return gunicorn23, "23", true
	case "24", "24.1", "24.1.0", "24.1.1":
		return gunicorn241, "24.1", true
	case "25", "25.0", "25.1", "25.2", "25.3", "26.0", "26.0.0":
		return gunicorn25, "25", true
	case "", "26", "26.1", "26.1.0":
		return gunicorn261, "26.1", true
	}
	return 0, "", false
}

// newGunicorn reads app.server for gunicorn by its own setting names. A
// value gunicorn refuses at start-up is its own message.
func newGunicorn(opts map[string]any) (*gunicorn, error) {
	version, _ := opts["version"].(string)
	v, label, ok := gunicornVersion(version)
	if !ok {
		return nil, unsupported(fmt.Sprintf("unsupported gunicorn version %q (want 20.1, 22, 23, 24.1, 25 or 26.1)", version))
	}
	g := &gunicorn{version: v, label: label, secure: gunicornDefaultSecure, options: opts}
	allow := "127.0.0.1"
	if v >= gunicorn23 {
		allow = "127.0.0.1,::1"
	}
	var allowValue any = allow
	forwarder := any("SCRIPT_NAME,PATH_INFO")
	for _, k := range sortedKeys(opts) {
		val := opts[k]
		switch k {
		case "name", "version", "proxy_protocol", "proxy_allow_ips", "uvicorn_version":
			// PROXY protocol: nginx sends no preamble unless told to, and
			// gunicorn takes requests without one. uvicorn_version names the
			// uvicorn of a UvicornWorker (asgiServer).
		case "worker_class":
			if w, _ := val.(string); w != uvicornWorker && w != "sync" && w != "gthread" && w != "gevent" && w != "eventlet" {
				return nil, fmt.Errorf("app.server.worker_class: %s is not modelled (want sync, gthread, gevent, eventlet or %s)", pyReprValue(val), uvicornWorker)
			}
			g.workerClass, _ = val.(string)
		case "forwarded_allow_ips":
			allowValue = val
		case "forwarder_headers":
			if v < gunicorn23 {
				return nil, unknownOption("app.server", k, "gunicorn "+label, gunicornOptionsFor(v))
			}
			forwarder = val
		case "secure_scheme_headers":
			m, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("Value is not a dictionary: %s ", pyReprValue(val))
			}
			g.secure = map[string]string{}
			for name, want := range m {
				s, ok := want.(string)
				if !ok {
					return nil, fmt.Errorf("app.server.secure_scheme_headers: %q: want a string value", name)
				}
				g.secure[name] = s
			}
		default:
			return nil, unknownOption("app.server", k, "gunicorn "+label, gunicornOptionsFor(v))
		}
	}
	list, err := validateStringToList(allowValue)
	if err != nil {
		return nil, err
	}
	g.allow = list
	for _, a := range list {
		if a == "*" {
			continue
		}
		switch {
		case v == gunicorn23:
			if _, err := parseIPAddress(a); err != nil {
				return nil, fmt.Errorf("%s", pyValueError(a, err))
			}
		case v >= gunicorn241:
			n, err := parseIPNetwork(a, v >= gunicorn25)
			if err != nil {
				return nil, fmt.Errorf("%s", pyValueError(a, err))
			}
			g.nets = append(g.nets, n)
		}
	}
	if v >= gunicorn23 {
		if g.forwarder, err = validateStringToList(forwarder); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func gunicornOptionsFor(v int) []string {
	if v >= gunicorn23 {
		return gunicornOptions
	}
	out := []string{}
	for _, o := range gunicornOptions {
		if o != "forwarder_headers" {
			out = append(out, o)
		}
	}
	return out
}

// validateStringToList is gunicorn's validate_string_to_list: a string,
// stripped, split on ",", each non-empty piece stripped (" " survives as "").
func validateStringToList(v any) ([]string, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("Not a string: %s", pyReprValue(v))
	}
	s = pyStrip(s)
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, pyStrip(p))
		}
	}
	return out, nil
}

// peerTrusted is the check before gunicorn honours secure scheme headers
// (and, 23+, forwarder headers): a UNIX-socket peer always passes.
func (g *gunicorn) peerTrusted(peer string, unix bool) bool {
	if g.plain {
		return false
	}
	if unix || contains(g.allow, "*") {
		return true
	}
	if g.version < gunicorn241 {
		return contains(g.allow, peer) // exact string membership
	}
	a, err := parseIPAddress(peer)
	if err != nil {
		return false
	}
	for _, n := range g.nets {
		if n.contains(a) {
			return true
		}
	}
	return false
}

// dropsUnderscoreName is header_map="drop" (22+): a name with "_" never
// reaches the environ unless a trusted forwarder may set it (23+).
func (g *gunicorn) dropsUnderscoreName(name string, trusted bool) bool {
	if g.version < gunicorn22 || !strings.Contains(name, "_") {
		return false
	}
	if trusted && g.version >= gunicorn23 && (contains(g.forwarder, name) || contains(g.forwarder, "*")) {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (g *gunicorn) String() string {
	if g.plain {
		return "a plain WSGI server"
	}
	return "gunicorn " + g.label
}

// adviseGunicorn keeps the app's gunicorn with forwarded_allow_ips set to
// the peer gunicorn sees, nginx (the first proxy), or to nothing when there
// is no proxy. A range needs 24.1+ (CIDR matching); ok is false before it.
// A plain server gives nil and no code.
func adviseGunicorn(g *gunicorn, a trustmodel.Advice) (map[string]any, string, bool) {
	if g.plain {
		return nil, "", true
	}
	server := map[string]any{}
	for k, v := range g.options {
		server[k] = v
	}
	allow := ""
	if len(a.Proxies) > 0 {
		allow = a.Proxies[0]
		if strings.Contains(allow, "/") && g.version < gunicorn241 {
			return nil, "", false
		}
	}
	server["forwarded_allow_ips"] = allow
	return server, fmt.Sprintf("; gunicorn --forwarded-allow-ips=%q", allow), true
}
