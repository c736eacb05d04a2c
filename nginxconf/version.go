package nginxconf

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultNginxVersion is the behaviour modelled when LoadOptions.NginxVersion
// is empty: the newest nginx the model knows about.
const DefaultNginxVersion = "1.31.5"

// Version is an nginx version, major.minor.patch.
type Version struct{ Major, Minor, Patch int }

// ParseVersion reads "1.22.1" (also "nginx/1.22.1" and "1.22"; a missing
// patch is 0).
func ParseVersion(s string) (Version, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "nginx/")
	if t == "" {
		t = DefaultNginxVersion
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("invalid nginx version %q (want MAJOR.MINOR.PATCH, e.g. 1.22.1)", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 9999 {
			return Version{}, fmt.Errorf("invalid nginx version %q (want MAJOR.MINOR.PATCH, e.g. 1.22.1)", s)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// AtLeast reports whether v is major.minor.patch or newer.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// The version-dependent behaviours the model follows. Each names the nginx
// release that changed it (CHANGES / changes.xml) and the source it was read in.

// JoinsAllHeaderVars: $http_NAME joins repeated header lines with ", " since
// 1.23.0 (src/http/ngx_http_variables.c, ngx_http_variable_unknown_header and
// ngx_http_variable_headers_internal over the linked headers list). Before,
// only $http_x_forwarded_for (", ") and $http_cookie ("; ") were joined and
// every other $http_NAME was the first line.
func (v Version) JoinsAllHeaderVars() bool { return v.AtLeast(1, 23, 0) }

// JoinsGatewayHeaderLines: since 1.23.0 the fastcgi, uwsgi and scgi modules
// send a client's repeated header lines as one HTTP_* param, joined with
// ", " ("; " for Cookie), in the first line's place
// (ngx_http_fastcgi_create_request over ngx_http_link_multi_headers);
// 1.22 sends one param per line.
func (v Version) JoinsGatewayHeaderLines() bool { return v.AtLeast(1, 23, 0) }

// SendsDefaultHTTPHost: since 1.29.5 the fastcgi, uwsgi and scgi modules
// add HTTP_HOST $host$is_request_port$request_port (if_not_empty) unless a
// param names HTTP_HOST (ngx_http_fastcgi_headers, nginx commits 71b18973b,
// 8ea6eb510, d8d092a49); before, the client's Host line passed as HTTP_HOST.
func (v Version) SendsDefaultHTTPHost() bool { return v.AtLeast(1, 29, 5) }

// SendsConnectionClose: the proxy module's default header table has
// "Connection: close" up to 1.29.6; 1.29.7 made keepalive the default and
// stopped sending it (the client's Connection is still suppressed).
func (v Version) SendsConnectionClose() bool { return !v.AtLeast(1, 29, 7) }

// RemovesProxyConnection: 1.31.0 added Proxy-Connection "" to the default
// header table, so the client's Proxy-Connection no longer passes.
func (v Version) RemovesProxyConnection() bool { return v.AtLeast(1, 31, 0) }

// HostFallsBackToProxyHost: since 1.31.4 an HTTP/1.1 request upstream always
// carries Host; a proxy_set_header Host that evaluates to "" sends
// $proxy_host instead of removing the header.
func (v Version) HostFallsBackToProxyHost() bool { return v.AtLeast(1, 31, 4) }

// ParsesBracketedV6WithoutPort: ngx_parse_addr_port accepts "[v6]" without a
// port (realip tokens) since 1.27.3.
func (v Version) ParsesBracketedV6WithoutPort() bool { return v.AtLeast(1, 27, 3) }

// HasSSLDirective: "ssl on;" was removed in 1.25.1.
func (v Version) HasSSLDirective() bool { return !v.AtLeast(1, 25, 1) }

// HasHTTP2Directive: "http2 on;" exists since 1.25.1.
func (v Version) HasHTTP2Directive() bool { return v.AtLeast(1, 25, 1) }
