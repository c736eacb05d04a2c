package trustmodel

import "strings"

// accessors are SPEC §3.1's accessors: how an app's code reads each result
// field, by framework. Findings name the value the way the app reads it.
var accessors = map[string]map[string]string{
	"express":     {"ip": "req.ip", "ips": "req.ips", "protocol": "req.protocol", "secure": "req.secure", "host": "req.host", "hostname": "req.hostname"},
	"fastify":     {"ip": "request.ip", "ips": "request.ips", "protocol": "request.protocol", "secure": "request.protocol === 'https'", "host": "request.host", "hostname": "request.hostname"},
	"koa":         {"ip": "ctx.ip", "ips": "ctx.ips", "protocol": "ctx.protocol", "secure": "ctx.secure", "host": "ctx.host", "hostname": "ctx.hostname"},
	"flask":       {"ip": "request.remote_addr", "protocol": "request.scheme", "secure": "request.is_secure", "host": "request.host", "hostname": "request.host (without port)"},
	"django":      {"ip": "request.META['REMOTE_ADDR']", "protocol": "request.scheme", "secure": "request.is_secure()", "host": "request.get_host()", "hostname": "request.get_host() (without port)"},
	"fastapi":     {"ip": "request.client.host", "protocol": "request.url.scheme", "secure": "request.url.scheme in ('https', 'wss')", "host": "request.url.netloc", "hostname": "request.url.hostname"},
	"rails":       {"ip": "request.remote_ip", "protocol": "request.scheme", "secure": "request.ssl?", "host": "request.host_with_port", "hostname": "request.host"},
	"laravel":     {"ip": "$request->ip()", "protocol": "$request->getScheme()", "secure": "$request->isSecure()", "host": "$request->getHttpHost()", "hostname": "$request->getHost()"},
	"symfony":     {"ip": "$request->getClientIp()", "protocol": "$request->getScheme()", "secure": "$request->isSecure()", "host": "$request->getHttpHost()", "hostname": "$request->getHost()"},
	"spring-boot": {"ip": "request.getRemoteAddr()", "protocol": "request.getScheme()", "secure": "request.isSecure()", "host": "request.getServerName():getServerPort()", "hostname": "request.getServerName()"},
	"aspnetcore":  {"ip": "HttpContext.Connection.RemoteIpAddress", "protocol": "Request.Scheme", "secure": "Request.IsHttps", "host": "Request.Host.Value", "hostname": "Request.Host.Host"},
	"gin":         {"ip": "c.ClientIP()", "host": "c.Request.Host", "hostname": "c.Request.Host (without port)"},
	"echo":        {"ip": "c.RealIP()", "protocol": "c.Scheme()", "secure": "c.IsTLS()", "host": "c.Request().Host", "hostname": "c.Request().Host (without port)"},
	"chi":         {"ip": "r.RemoteAddr", "host": "r.Host", "hostname": "r.Host (without port)"},
	// The packages simulate runs on their own.
	"proxy-addr": {"ip": "proxyaddr(req, trust)", "ips": "proxyaddr.all(req, trust)"},
	"request-ip": {"ip": "requestIp.getClientIp(req)"},
}

// FieldName names a result field the way the app's code reads it: the
// framework's accessor, or for the client address the app's own reading
// when client_ip_from is not "framework".
func FieldName(framework, clientIPFrom, field string) string {
	if field == "ip" {
		switch {
		case clientIPFrom == "request-ip":
			return "requestIp.getClientIp(req)"
		case clientIPFrom == "leftmost-xff":
			return "the leftmost X-Forwarded-For entry"
		case strings.HasPrefix(clientIPFrom, "header:"):
			return "the " + strings.TrimPrefix(clientIPFrom, "header:") + " header"
		}
	}
	return Accessor(framework, field)
}

// HasAccessor reports whether an app of the framework can read the field at
// all: gin and chi have no scheme accessor, only Node frameworks have ips.
func HasAccessor(framework, field string) bool {
	row, ok := accessors[strings.ToLower(framework)]
	if !ok {
		row = accessors["express"]
	}
	_, ok = row[field]
	return ok
}

// NullWord is how the framework's language writes an accessor's absent
// value: JavaScript's undefined, Python's None, Ruby's nil.
func NullWord(framework string) string {
	switch strings.ToLower(framework) {
	case "flask", "django", "fastapi":
		return "None"
	case "rails":
		return "nil"
	case "laravel", "symfony", "spring-boot", "aspnetcore":
		return "null"
	case "gin", "echo", "chi":
		return `""` // Go's accessors return strings
	}
	return "undefined"
}

// Accessor names how an app of the framework reads a result field
// ("req.ip"); Express's for a framework or field the table lacks.
func Accessor(framework, field string) string {
	fw := strings.ToLower(framework)
	if fw == "" {
		fw = "express"
	}
	if a, ok := accessors[fw][field]; ok {
		return a
	}
	if a, ok := accessors["express"][field]; ok && (fw == "express" || accessors[fw] == nil) {
		return a
	}
	return field
}

// NodeFramework reports whether name is one of the Node frameworks (the
// default when none is named), whose trust is app code trustcheck writes
// as JavaScript.
func NodeFramework(name string) bool {
	switch strings.ToLower(name) {
	case "", "express", "fastify", "koa":
		return true
	}
	return false
}

// proxyAddrNames are proxy-addr's pre-defined names and what they cover.
var proxyAddrNames = map[string][]string{
	"loopback":    {"127.0.0.0/8", "::1/128"},
	"linklocal":   {"169.254.0.0/16", "fe80::/10"},
	"uniquelocal": {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"},
}

// AdviceFor turns a proxy-addr trust value (a name, address or range, a
// list of them, or a hop count) into Advice every framework can write.
func AdviceFor(v any, hops int) Advice {
	a := Advice{Hops: hops}
	var add func(v any)
	add = func(v any) {
		switch x := v.(type) {
		case string:
			if r, ok := proxyAddrNames[x]; ok {
				a.Proxies = append(a.Proxies, r...)
			} else {
				a.Proxies = append(a.Proxies, x)
			}
		case []any:
			for _, e := range x {
				add(e)
			}
		}
	}
	add(v)
	return a
}

// PlainIPv4Peers reports whether the framework's runtime reports an IPv4
// peer of a dual-stack socket as plain IPv4: Go's net and Java's
// InetAddress unmap it; Node, Python, Ruby and .NET report ::ffff:a.b.c.d.
func PlainIPv4Peers(framework string) bool {
	switch strings.ToLower(framework) {
	case "gin", "echo", "chi", "spring-boot":
		return true
	}
	return false
}
