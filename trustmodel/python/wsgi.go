package python

import (
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Where the app server listens: gunicorn's and uvicorn's default bind, and
// the socket path a "unix:" peer connects through. A request without Host
// falls back to these (PEP 3333's SERVER_NAME/SERVER_PORT, ASGI's "server").
const (
	serverName = "127.0.0.1"
	serverPort = "8000"
	serverUnix = "/run/app.sock"
)

// isUnixPeer reports a peer that connected over a UNIX socket: "unix:..."
// as nginxconf writes it, or no address at all.
func isUnixPeer(peer string) bool { return peer == "" || strings.HasPrefix(peer, "unix:") }

// environ is a WSGI environ's string entries.
type environ map[string]string

// rejected is a request the server or framework answers itself (a 4xx or
// 5xx) before any accessor runs: the exception's short class name.
type rejected string

// wsgiEnviron builds the environ as gunicorn (gunicorn/http/message.py
// Message.parse_headers, gunicorn/http/wsgi.py create) builds it: header
// names uppercased with "-" as "_" (so X_Forwarded_For and X-Forwarded-For
// share HTTP_X_FORWARDED_FOR, in gunicorn < 22), repeated lines joined with
// ","; wsgi.url_scheme from the secure scheme headers when the peer is
// trusted. A plain WSGI server is the same without secure scheme headers.
func (g *gunicorn) environ(req trustmodel.Request) (environ, rejected) {
	unix := isUnixPeer(req.Peer)
	scheme := "http"
	if req.TLS {
		scheme = "https"
	}
	trusted := g.peerTrusted(req.Peer, unix)
	env := environ{}
	schemeSet := false
	host, hostSeen := "", false
	seen := map[string]bool{}
	scriptName := ""
	for _, l := range req.Headers {
		name := strings.ToUpper(l.Name)
		if !isToken(name) {
			return nil, "InvalidHeaderName"
		}
		if g.version >= gunicorn23 && strings.ContainsFunc(l.Value, isCtlNotTab) {
			return nil, "InvalidHeader" // RFC9110_5_5_INVALID_AND_DANGEROUS
		}
		if g.version >= gunicorn261 && (name == "HOST" || name == "CONTENT-TYPE") {
			if seen[name] {
				return nil, "InvalidHeader" // RFC9110_5_3_SINGLETON_FIELDS
			}
			seen[name] = true
		}
		if want, ok := g.secure[name]; ok && trusted {
			s := "http"
			if l.Value == want {
				s = "https"
			}
			if schemeSet && s != scheme {
				return nil, "InvalidSchemeHeaders"
			}
			scheme, schemeSet = s, true
		}
		if g.dropsUnderscoreName(name, trusted) {
			continue
		}
		switch name {
		case "HOST":
			host, hostSeen = l.Value, true
		case "SCRIPT_NAME":
			scriptName = l.Value
		case "CONTENT-TYPE", "CONTENT-LENGTH":
			env[strings.ReplaceAll(name, "-", "_")] = l.Value
			continue
		}
		key := "HTTP_" + strings.ReplaceAll(name, "-", "_")
		if old, ok := env[key]; ok {
			env[key] = old + "," + l.Value
		} else {
			env[key] = l.Value
		}
	}
	// The path is "/": 20.1 takes path_info.split(script_name, 1)[1], 22+
	// refuses a SCRIPT_NAME the path does not start with.
	if scriptName != "" && scriptName != "/" {
		if g.version == gunicorn201 {
			return nil, "IndexError"
		}
		return nil, "ConfigurationProblem"
	}
	env["wsgi.url_scheme"] = scheme
	env["PATH_INFO"] = "/"
	if scriptName == "/" {
		env["PATH_INFO"] = "" // the path after SCRIPT_NAME
	}
	if unix {
		env["REMOTE_ADDR"] = "" // what accept() returns for a UNIX socket
		// the listener's path has no ":", so SERVER_* come from Host
		server := []string{serverUnix, ""}
		if hostSeen && host != "" {
			server = strings.Split(host, ":")
			if len(server) == 1 {
				switch scheme {
				case "http":
					server = append(server, "80")
				case "https":
					server = append(server, "443")
				default:
					server = append(server, "")
				}
			}
		}
		env["SERVER_NAME"], env["SERVER_PORT"] = server[0], server[1]
	} else {
		env["REMOTE_ADDR"] = req.Peer
		env["SERVER_NAME"], env["SERVER_PORT"] = serverName, serverPort
	}
	return env, ""
}

func isCtlNotTab(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// isToken is gunicorn's TOKEN_RE on a header name.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return s != ""
}
