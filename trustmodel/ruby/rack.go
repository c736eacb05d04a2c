package ruby

import (
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// rackEnv is the Rack env Puma hands the app.
type rackEnv struct{ vars map[string]string }

func (e *rackEnv) get(key string) (string, bool) {
	v, ok := e.vars[key]
	return v, ok
}

// pumaEnv builds the env as Puma 5.6.5 does: its HTTP parser names a header
// HTTP_ + upper case with "-" → "_" and "_" → "," (Debian's fix for
// CVE-2024-45614) and joins repeated lines with ", "; an ssl bind sets
// HTTPS=https; normalize_env sets REMOTE_ADDR (127.0.0.1 when the peer is
// unknown), SERVER_NAME and SERVER_PORT from Host; handle_request defaults
// rack.url_scheme from default_server_port (lib/puma/request.rb:54, 194-200).
func pumaEnv(req trustmodel.Request) *rackEnv {
	vars := map[string]string{}
	for _, h := range req.Headers {
		key := "HTTP_" + strings.NewReplacer("-", "_", "_", ",").Replace(strings.ToUpper(h.Name))
		switch key {
		case "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE":
			key = key[len("HTTP_"):]
		}
		if old, ok := vars[key]; ok {
			vars[key] = old + ", " + h.Value
		} else {
			vars[key] = h.Value
		}
	}
	if req.TLS {
		vars["HTTPS"] = "https"
	}
	e := &rackEnv{vars: vars}
	if host, ok := vars["HTTP_HOST"]; ok {
		if colon := strings.LastIndex(host, "]:"); colon >= 0 {
			vars["SERVER_NAME"], vars["SERVER_PORT"] = host[:colon+1], host[colon+2:]
		} else if colon := strings.IndexByte(host, ':'); !strings.HasPrefix(host, "[") && colon >= 0 {
			vars["SERVER_NAME"], vars["SERVER_PORT"] = host[:colon], host[colon+1:]
		} else {
			vars["SERVER_NAME"], vars["SERVER_PORT"] = host, e.defaultServerPort()
		}
	} else {
		vars["SERVER_NAME"], vars["SERVER_PORT"] = "localhost", e.defaultServerPort()
	}
	vars["REMOTE_ADDR"] = req.Peer
	if req.Peer == "" {
		vars["REMOTE_ADDR"] = "127.0.0.1"
	}
	if e.defaultServerPort() == "443" {
		vars["rack.url_scheme"] = "https"
	} else {
		vars["rack.url_scheme"] = "http"
	}
	return e
}

// defaultServerPort is Puma's default_server_port: 443 for an ssl bind or
// when X-Forwarded-Proto starts with "https", X-Forwarded-Scheme is "https"
// or X-Forwarded-Ssl is "on" (none of them checked against the peer).
func (e *rackEnv) defaultServerPort() string {
	https, _ := e.get("HTTPS")
	xfp, _ := e.get("HTTP_X_FORWARDED_PROTO")
	xfs, _ := e.get("HTTP_X_FORWARDED_SCHEME")
	ssl, _ := e.get("HTTP_X_FORWARDED_SSL")
	if https == "on" || https == "https" || strings.HasPrefix(xfp, "https") || xfs == "https" || ssl == "on" {
		return "443"
	}
	return "80"
}

// scheme is Rack::Request#scheme. Rack 2.2.22: HTTPS on, X-Forwarded-Ssl
// on, then X-Forwarded-Scheme if exactly http/https, then the
// X-Forwarded-Proto text before the first "," if exactly http/https, else
// rack.url_scheme. No peer check.
func (r *rails) scheme(env *rackEnv) string {
	if v, _ := env.get("HTTPS"); v == "on" {
		return "https"
	}
	if v, _ := env.get("HTTP_X_FORWARDED_SSL"); v == "on" {
		return "https"
	}
	if r.v.rack3 {
		if s, ok := rack3ForwardedScheme(env, r.forwardedPriority, r.protoPriority); ok {
			return s
		}
	} else {
		if v, ok := env.get("HTTP_X_FORWARDED_SCHEME"); ok && (v == "https" || v == "http") {
			return v
		}
		if v, ok := env.get("HTTP_X_FORWARDED_PROTO"); ok {
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = v[:i]
			}
			if v == "https" || v == "http" {
				return v
			}
		}
	}
	s, _ := env.get("rack.url_scheme")
	return s
}
