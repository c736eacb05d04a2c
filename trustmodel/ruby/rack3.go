package ruby

import (
	"regexp"
	"strings"
)

// forwardedValues is Rack 3's Utils.forwarded_values (rack/rack v3.2.7
// lib/rack/utils.rb): the RFC 7239 Forwarded header's by/for/host/proto
// values in order. nil (Ruby's nil) when the header is absent or a parameter
// name is not one of those four; unquoted values run to the next ";" or ",",
// or to the end of the header when there is none.
func forwardedValues(header string, present bool) map[string][]string {
	if !present {
		return nil
	}
	h := strings.TrimLeft(strings.ReplaceAll(header, "\n", ";"), " \t\r\n\f\v;,")
	params := map[string][]string{}
	n, escapes := 0, 0
	for {
		i := strings.IndexByte(h, '=')
		if i < 0 {
			break
		}
		if n++; n > 1024 {
			return nil
		}
		name := strings.ToLower(rubyStrip(h[:i]))
		h = h[i+1:]
		switch name {
		case "by", "for", "host", "proto":
		default:
			return nil
		}
		var value string
		if strings.HasPrefix(h, `"`) {
			h = h[1:]
			var b strings.Builder
			for {
				j := strings.IndexAny(h, `"\`)
				if j < 0 {
					break
				}
				c := h[j]
				b.WriteString(h[:j])
				h = h[j+1:]
				if c == '"' {
					break
				}
				if escapes++; escapes > 1024 {
					return nil
				}
				if h != "" {
					b.WriteByte(h[0])
					h = h[1:]
				}
			}
			value = b.String()
		} else if j := strings.IndexAny(h, ";,"); j >= 0 {
			value = strings.TrimRight(h[:j], " \t\r\n\f\v;,")
			h = h[j:]
			value = strings.TrimLeft(value, " \t\r\n\f\v\x00")
		} else {
			value = strings.TrimLeft(rubyStrip(h), " \t\r\n\f\v\x00")
			h = ""
		}
		params[name] = append(params[name], value)
		if h != "" {
			h = strings.TrimLeft(h, " \t\r\n\f\v;,")
		}
	}
	return params
}

// rackIPv6 is the union of IPv6 forms Rack::Request::AUTHORITY accepts
// inside brackets (rack v3.2.7 lib/rack/request.rb).
var rackIPv6 = regexp.MustCompile(`^(?:` +
	`(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}` +
	`|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?` +
	`|(?:[0-9A-Fa-f]{1,4}:){6,6}\d+\.\d+\.\d+\.\d+` +
	`|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::(?:[0-9A-Fa-f]{1,4}:)*\d+\.\d+\.\d+\.\d+` +
	`|[Ff][Ee]80(?::[0-9A-Fa-f]{1,4}){7}%[-0-9A-Za-z._~]+` +
	`|[Ff][Ee]80:(?:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?|:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?)?:[0-9A-Fa-f]{1,4}%[-0-9A-Za-z._~]+` +
	`)$`)

func regNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || strings.IndexByte("-._~%!$&'()*+,;=", c) >= 0
}

// splitAuthorityAddress is split_authority(authority)[1]: the address of
// "[v6]:port" or "reg-name:port"; ok false when AUTHORITY does not match.
func splitAuthorityAddress(a string) (string, bool) {
	portOK := func(rest string) bool {
		if rest == "" {
			return true
		}
		if len(rest) < 2 || rest[0] != ':' {
			return false
		}
		for i := 1; i < len(rest); i++ {
			if !isDigit(rest[i]) {
				return false
			}
		}
		return true
	}
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 || !rackIPv6.MatchString(a[1:end]) || !portOK(a[end+1:]) {
			return "", false
		}
		return a[1:end], true
	}
	addr, rest := a, ""
	if i := strings.IndexByte(a, ':'); i >= 0 {
		addr, rest = a[:i], a[i:]
	}
	for i := 0; i < len(addr); i++ {
		if !regNameChar(addr[i]) {
			return "", false
		}
	}
	if !portOK(rest) {
		return "", false
	}
	return addr, true
}

// rackForwardedFor is Rack 3's Request#forwarded_for: per
// forwarded_priority (default [:forwarded, :x_forwarded]) the Forwarded
// for= values when there are any, or X-Forwarded-For split on /[, \t]+/
// with bare IPv6 wrapped in brackets; each reduced to its address (ports
// and brackets gone). Entries AUTHORITY does not match are Ruby's nil,
// which sanitize_ips drops; they are left out here.
func rackForwardedFor(env *rackEnv, priority []string) []string {
	for _, typ := range priority {
		switch typ {
		case "forwarded":
			if fwd := forwardedValues(env.get("HTTP_FORWARDED")); fwd != nil {
				if fors, ok := fwd["for"]; ok {
					var out []string
					for _, f := range fors {
						if a, ok := splitAuthorityAddress(f); ok {
							out = append(out, a)
						}
					}
					return out
				}
			}
		case "x_forwarded":
			xff, ok := env.get("HTTP_X_FORWARDED_FOR")
			if !ok {
				continue
			}
			var out []string
			for _, f := range splitRuby(rubyStrip(xff), func(c byte) bool { return c == ',' || c == ' ' || c == '\t' }) {
				if !strings.HasPrefix(f, "[") && strings.Count(f, ":") > 1 {
					f = "[" + f + "]"
				}
				if a, ok := splitAuthorityAddress(f); ok {
					out = append(out, a)
				}
			}
			return out
		}
	}
	return nil
}

// rack3ForwardedScheme is Rack 3's forwarded_scheme: per forwarded_priority,
// the last Forwarded proto= value if allowed, or the X-Forwarded headers in
// x_forwarded_proto_priority order (default [:proto, :scheme]), each walked
// right to left for the first of https, http, wss, ws (case-sensitive).
func rack3ForwardedScheme(env *rackEnv, priority, protoPriority []string) (string, bool) {
	allowed := func(s string) bool { return s == "https" || s == "http" || s == "wss" || s == "ws" }
	for _, typ := range priority {
		switch typ {
		case "forwarded":
			if fwd := forwardedValues(env.get("HTTP_FORWARDED")); fwd != nil {
				if protos := fwd["proto"]; len(protos) > 0 && allowed(protos[len(protos)-1]) {
					return protos[len(protos)-1], true
				}
			}
		case "x_forwarded":
			for _, x := range protoPriority {
				key := map[string]string{"proto": "HTTP_X_FORWARDED_PROTO", "scheme": "HTTP_X_FORWARDED_SCHEME"}[x]
				v, ok := env.get(key)
				if !ok {
					continue
				}
				items := splitRuby(rubyStrip(v), func(c byte) bool { return c == ',' || c == ' ' || c == '\t' })
				for i := len(items) - 1; i >= 0; i-- {
					if allowed(items[i]) {
						return items[i], true
					}
				}
			}
		}
	}
	return "", false
}
