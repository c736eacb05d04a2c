package nginxconf

import (
	"regexp"
	"strings"
)

// Internal redirects: a location without a pass directive of its own can
// still hand requests to an app through "try_files ... @app" (or a URI), or
// "rewrite ... last" into another location. Load records that on the
// location (Proxy, with Redirect naming the directive); ProxyFor follows a
// concrete URI through the rewrite phase exactly.

const maxRedirects = 10 // nginx allows 10 internal redirects (NGX_HTTP_MAX_URI_CHANGES)

// followRedirects sets Proxy and Redirect on the locations of s that reach
// an app only through try_files or rewrite ... last. A rewrite's target is
// judged by its replacement's text before the first variable ("/new/$1"
// -> "/new/"); ProxyFor is exact for a given URI.
func (b *builder) followRedirects(s *Server) {
	s.rewrites = map[*Directive]*regexp.Regexp{}
	compileAll := func(dirs []*Directive) {
		for _, d := range dirs {
			if d.Name == "rewrite" && len(d.Args) >= 2 {
				re, err := b.compile(d.Args[0])
				if err != nil {
					b.warn(d.Pos, "rewrite regex %q uses syntax Go's RE2 engine lacks (PCRE-only); the model never applies it", d.Args[0])
				}
				s.rewrites[d] = re
			}
		}
	}
	compileAll(s.Directives)
	var all func(locs []*Location)
	all = func(locs []*Location) {
		for _, l := range locs {
			compileAll(l.Directives)
			all(l.Locations)
		}
	}
	all(s.Locations)
	var visit func(locs []*Location)
	visit = func(locs []*Location) {
		for _, l := range locs {
			if l.Proxy == nil {
				if p, via := followLocation(s, l, 0); p != nil {
					l.Proxy, l.Redirect = p, via
				}
			}
			visit(l.Locations)
		}
	}
	visit(s.Locations)
}

// ownProxy is the proxy of l's own pass directive (not a followed one).
func ownProxy(l *Location) *Proxy {
	if l == nil || l.Redirect != nil {
		return nil
	}
	return l.Proxy
}

func proxyOrFollow(s *Server, l *Location, depth int) *Proxy {
	if p := ownProxy(l); p != nil {
		return p
	}
	p, _ := followLocation(s, l, depth)
	return p
}

// followLocation is the static view: where a request handled in l goes
// when l has no pass directive.
func followLocation(s *Server, l *Location, depth int) (*Proxy, *Directive) {
	if depth > maxRedirects || l == nil {
		return nil, nil
	}
	for _, d := range l.Directives {
		switch d.Name {
		case "return":
			return nil, nil
		case "rewrite":
			if len(d.Args) < 2 {
				continue
			}
			flag := d.Arg(2)
			switch {
			case flag == "redirect" || flag == "permanent" || externalTarget(d.Args[1]):
				return nil, nil
			case flag == "break":
				return nil, nil // stays here, and here is no app
			case flag == "last":
				target := staticPrefix(d.Args[1])
				if target == "" {
					continue
				}
				if n := s.LocationFor(target); n != nil && n != l {
					if p := proxyOrFollow(s, n, depth+1); p != nil {
						return p, d
					}
				}
				return nil, nil
			}
		case "try_files":
			if len(d.Args) < 2 {
				continue
			}
			last := d.Args[len(d.Args)-1]
			switch {
			case strings.HasPrefix(last, "@"):
				if n := s.named(last); n != nil {
					if p := proxyOrFollow(s, n, depth+1); p != nil {
						return p, d
					}
				}
			case strings.HasPrefix(last, "="):
			default:
				if target := staticPrefix(last); target != "" {
					if n := s.LocationFor(target); n != nil && n != l {
						if p := proxyOrFollow(s, n, depth+1); p != nil {
							return p, d
						}
					}
				}
			}
			return nil, nil
		}
	}
	return nil, nil
}

func externalTarget(repl string) bool {
	l := strings.ToLower(repl)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "$scheme")
}

// staticPrefix is a URI's text before its first variable and query.
func staticPrefix(u string) string {
	if i := strings.IndexByte(u, '$'); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if !strings.HasPrefix(u, "/") {
		return ""
	}
	return u
}

func (s *Server) named(name string) *Location {
	for _, l := range s.Locations {
		if l.Modifier == "@" && l.Match == name {
			return l
		}
	}
	return nil
}

// ProxyFor follows a request for uri (normalised path, no query) through
// the server as nginx would: server-level rewrites, location selection,
// the location's rewrites ("last" restarts selection, "break" stops,
// "redirect"/"permanent" and "return" end at nginx), its pass directive,
// else try_files' last argument. It returns nil when the request never
// reaches an app. Conditions of if blocks are not evaluated (if blocks
// are skipped) and file checks assume the file does not exist.
func (s *Server) ProxyFor(uri string) *Proxy {
	for _, d := range s.Directives {
		switch d.Name {
		case "return":
			return nil
		case "rewrite":
			next, flag, ok := s.applyRewrite(d, uri)
			if !ok {
				continue
			}
			if flag == "redirect" || flag == "permanent" || externalTarget(next) {
				return nil
			}
			uri = next
			if flag == "last" || flag == "break" {
				goto find
			}
		}
	}
find:
	for n := 0; n <= maxRedirects; n++ {
		l := s.LocationFor(uri)
		if l == nil {
			return nil
		}
		restarted := false
		for _, d := range l.Directives {
			if d.Name == "return" {
				return nil
			}
			if d.Name != "rewrite" {
				continue
			}
			next, flag, ok := s.applyRewrite(d, uri)
			if !ok {
				continue
			}
			if flag == "redirect" || flag == "permanent" || externalTarget(next) {
				return nil
			}
			uri = next
			if flag == "last" {
				restarted = true
				break
			}
			if flag == "break" {
				break
			}
		}
		if restarted {
			continue
		}
		if p := ownProxy(l); p != nil {
			return p
		}
		for _, d := range l.Directives {
			if d.Name != "try_files" || len(d.Args) < 2 {
				continue
			}
			last := d.Args[len(d.Args)-1]
			switch {
			case strings.HasPrefix(last, "@"):
				return proxyOrFollow(s, s.named(last), n+1)
			case strings.HasPrefix(last, "="):
				return nil
			}
			uri = staticPrefix(expandCaptures(last, nil, nil))
			restarted = true
			break
		}
		if !restarted {
			return nil
		}
	}
	return nil
}

// applyRewrite applies one rewrite directive to uri.
func (s *Server) applyRewrite(d *Directive, uri string) (next, flag string, ok bool) {
	re := s.rewrites[d]
	if re == nil {
		return "", "", false
	}
	m := re.FindStringSubmatch(uri)
	if m == nil {
		return "", "", false
	}
	next = expandCaptures(d.Args[1], re, m)
	if i := strings.IndexByte(next, '?'); i >= 0 {
		next = next[:i]
	}
	return next, d.Arg(2), true
}

// expandCaptures substitutes $1..$9 and named captures; other variables
// become "".
func expandCaptures(repl string, re *regexp.Regexp, groups []string) string {
	var b strings.Builder
	for _, seg := range splitValue(repl) {
		switch {
		case seg.name == "" && seg.digit == 0:
			b.WriteString(seg.lit)
		case seg.digit > 0:
			if seg.digit < len(groups) {
				b.WriteString(groups[seg.digit])
			}
		case re != nil:
			if i := re.SubexpIndex(seg.name); i > 0 && i < len(groups) {
				b.WriteString(groups[i])
			}
		}
	}
	return b.String()
}
