package python

import (
	"fmt"
	"strconv"
	"strings"
)

// proxyFix is Werkzeug's ProxyFix (werkzeug/middleware/proxy_fix.py): each
// value counts how many values of its header to trust from the right. It
// never looks at who connected.
type proxyFix struct {
	xFor, xProto, xHost, xPort, xPrefix int
	werkzeug3                           bool // parse_list_header of Werkzeug ≥ 3.1.7
}

var proxyFixOptions = []string{"x_for", "x_host", "x_port", "x_prefix", "x_proto"}

// newProxyFix reads a middleware entry {name: proxy_fix, x_for: 1, ...};
// ProxyFix's defaults are x_for=1, x_proto=1, the others 0.
func newProxyFix(m map[string]any, werkzeug3 bool) (*proxyFix, error) {
	p := &proxyFix{xFor: 1, xProto: 1, werkzeug3: werkzeug3}
	for _, k := range sortedKeys(m) {
		if k == "name" {
			continue
		}
		var dst *int
		switch k {
		case "x_for":
			dst = &p.xFor
		case "x_proto":
			dst = &p.xProto
		case "x_host":
			dst = &p.xHost
		case "x_port":
			dst = &p.xPort
		case "x_prefix":
			dst = &p.xPrefix
		default:
			return nil, unknownOption("app.middleware proxy_fix", k, "proxy_fix", proxyFixOptions)
		}
		n, ok := pyIntValue(m[k])
		if !ok {
			return nil, fmt.Errorf("app.middleware proxy_fix: %s: want an integer, got %v", k, m[k])
		}
		*dst = n
	}
	return p, nil
}

// pyIntValue accepts what Python would use as an int here: an integer
// (YAML int, or a JSON number without a fraction) or a bool.
func pyIntValue(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// realValue is ProxyFix._get_real_value: the trusted-th value from the
// right, "" when absent or too few values. A negative count indexes from the
// left (Python's values[-trusted]) and raises IndexError past the end.
func (p *proxyFix) realValue(trusted int, value string, ok bool) (string, rejected) {
	if trusted == 0 || !ok || value == "" {
		return "", ""
	}
	values := p.parseList(value)
	if len(values) < trusted {
		return "", ""
	}
	if trusted < 0 {
		if -trusted >= len(values) {
			return "", "IndexError"
		}
		return values[-trusted], ""
	}
	return values[len(values)-trusted], ""
}

func (p *proxyFix) parseList(value string) []string {
	if p.werkzeug3 {
		return parseListHeader3(value)
	}
	return parseListHeader2(value)
}

// apply is ProxyFix.__call__ on the environ. Werkzeug reads and applies
// one header at a time; reading all five first is the same, since an
// IndexError on any of them fails the request.
func (p *proxyFix) apply(env environ) rejected {
	var real [5]string
	for i, h := range []struct {
		trusted int
		key     string
	}{
		{p.xFor, "HTTP_X_FORWARDED_FOR"}, {p.xProto, "HTTP_X_FORWARDED_PROTO"}, {p.xHost, "HTTP_X_FORWARDED_HOST"},
		{p.xPort, "HTTP_X_FORWARDED_PORT"}, {p.xPrefix, "HTTP_X_FORWARDED_PREFIX"},
	} {
		v, ok := env[h.key]
		var rej rejected
		if real[i], rej = p.realValue(h.trusted, v, ok); rej != "" {
			return rej
		}
	}
	xFor, xProto, xHost, xPort, xPrefix := real[0], real[1], real[2], real[3], real[4]
	if xFor != "" {
		env["REMOTE_ADDR"] = xFor
	}
	if xProto != "" {
		env["wsgi.url_scheme"] = xProto
	}
	if xHost != "" {
		env["HTTP_HOST"], env["SERVER_NAME"] = xHost, xHost
		// "]" to check for IPv6 address without port
		if strings.Contains(xHost, ":") && !strings.HasSuffix(xHost, "]") {
			env["SERVER_NAME"], env["SERVER_PORT"], _ = rsplitColon(xHost)
		}
	}
	if xPort != "" {
		if host := env["HTTP_HOST"]; host != "" {
			if strings.Contains(host, ":") && !strings.HasSuffix(host, "]") {
				host, _, _ = rsplitColon(host)
			}
			env["HTTP_HOST"] = host + ":" + xPort
		}
		env["SERVER_PORT"] = xPort
	}
	if xPrefix != "" {
		env["SCRIPT_NAME"] = xPrefix
	}
	return ""
}

// code is the middleware as the app writes it.
func (p *proxyFix) code() string {
	var args []string
	for _, a := range []struct {
		name     string
		n, deflt int
	}{{"x_for", p.xFor, 1}, {"x_proto", p.xProto, 1}, {"x_host", p.xHost, 0}, {"x_port", p.xPort, 0}, {"x_prefix", p.xPrefix, 0}} {
		if a.n != 0 || a.deflt != 0 {
			args = append(args, a.name+"="+strconv.Itoa(a.n))
		}
	}
	return "ProxyFix(app.wsgi_app, " + strings.Join(args, ", ") + ")"
}

// parseListHeader2 is Werkzeug 2.2's parse_list_header: urllib's
// parse_http_list (split on commas outside double quotes, a backslash in
// quotes escapes the next character, each item str.strip()ped, a trailing
// empty item dropped before stripping, inner empty items kept), then one
// pair of surrounding quotes removed through unquote_header_value.
func parseListHeader2(s string) []string {
	if !strings.Contains(s, `"`) {
		// Without quotes, nothing escapes: the items are the pieces between commas.
		res := strings.Split(s, ",")
		if res[len(res)-1] == "" {
			res = res[:len(res)-1]
		}
		for i := range res {
			res[i] = pyStrip(res[i])
		}
		return res
	}
	return parseHTTPList2(s)
}

// parseHTTPList2 is parseListHeader2's general case, character by character.
func parseHTTPList2(s string) []string {
	var res []string
	var part strings.Builder
	escape, quote := false, false
	for i := 0; i < len(s); i++ {
		c := s[i] // byte-wise: the delimiters are ASCII and UTF-8 never reuses them
		if escape {
			part.WriteByte(c)
			escape = false
			continue
		}
		if quote {
			if c == '\\' {
				escape = true
				continue
			} else if c == '"' {
				quote = false
			}
			part.WriteByte(c)
			continue
		}
		if c == ',' {
			res = append(res, part.String())
			part.Reset()
			continue
		}
		if c == '"' {
			quote = true
		}
		part.WriteByte(c)
	}
	if part.Len() > 0 {
		res = append(res, part.String())
	}
	for i, item := range res {
		item = pyStrip(item)
		if strings.HasPrefix(item, `"`) && strings.HasSuffix(item, `"`) {
			item = unquoteHeaderValue(trimEnds(item)) // item[1:-1]
		}
		res[i] = item
	}
	return res
}

// unquoteHeaderValue is Werkzeug 2.2's unquote_header_value (not a filename).
func unquoteHeaderValue(v string) string {
	if v != "" && v[0] == '"' && v[len(v)-1] == '"' {
		v = trimEnds(v)
		return strings.ReplaceAll(strings.ReplaceAll(v, `\\`, `\`), `\"`, `"`)
	}
	return v
}

// trimEnds is Python's s[1:-1]: "" for a string of one character.
func trimEnds(s string) string {
	if len(s) < 2 {
		return ""
	}
	return s[1 : len(s)-1]
}

// parseListHeader3 is Werkzeug 3.1.7+'s parse_list_header (src/werkzeug/
// http.py:303 at tag 3.1.8, PR #3128): quote-aware split on ",", escapes kept
// inside quotes, an unclosed quote empties the list, each item stripped,
// empty items discarded, then unquote_header_value.
func parseListHeader3(s string) []string {
	if !strings.Contains(s, `"`) {
		// Without quotes, nothing escapes: the items are the pieces between commas.
		pieces := strings.Split(s, ",")
		out := pieces[:0]
		for _, it := range pieces {
			if it = pyStrip(it); it != "" {
				out = append(out, it)
			}
		}
		return out
	}
	return parseListQuoted3(s)
}

// parseListQuoted3 is parseListHeader3's general case, character by character.
func parseListQuoted3(s string) []string {
	var items []string
	var item strings.Builder
	escape, quote := false, false
	for i := 0; i < len(s); i++ {
		c := s[i] // byte-wise: the delimiters are ASCII and UTF-8 never reuses them
		if escape {
			escape = false
			item.WriteByte(c)
			continue
		}
		if quote {
			if c == '\\' {
				escape = true
			} else if c == '"' {
				quote = false
			}
			item.WriteByte(c)
			continue
		}
		if c == ',' {
			items = append(items, item.String())
			item.Reset()
			continue
		}
		if c == '"' {
			quote = true
		}
		item.WriteByte(c)
	}
	if quote {
		return nil
	}
	items = append(items, item.String())
	out := items[:0]
	for _, it := range items {
		if it = pyStrip(it); it != "" {
			out = append(out, unquoteHeaderValue3(it))
		}
	}
	return out
}

// unquoteHeaderValue3 is Werkzeug 3.1.8's unquote_header_value (http.py:177): a quoted
// value loses its quotes and every backslash before a character
// (_unslash_re = \\(.) with re.ASCII: "." is anything but "\n").
func unquoteHeaderValue3(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && v[i+1] != '\n' {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
