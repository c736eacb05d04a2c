package lint

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// proxyTarget is the part of a pass directive's URL that names where it
// goes, as app.upstreams lists it: an upstream name, host:port as written,
// "unix:/path", or a variable; without scheme and URI.
func proxyTarget(url string) string {
	if i := strings.Index(url, "://"); i != -1 {
		url = url[i+3:]
	}
	if rest, ok := strings.CutPrefix(url, "unix:"); ok {
		// http://unix:/run/app.sock:/uri — the socket path ends at a colon.
		if i := strings.IndexByte(rest, ':'); i != -1 {
			rest = rest[:i]
		}
		return "unix:" + rest
	}
	if i := strings.IndexByte(url, '/'); i != -1 {
		url = url[:i]
	}
	return url
}

// claims reports whether the app's upstreams name px's target. An app
// without upstreams claims every target.
func claims(spec *trustmodel.AppSpec, px *nginxconf.Proxy) bool {
	if len(spec.Upstreams) == 0 {
		return true
	}
	target := proxyTarget(px.URL)
	for _, u := range spec.Upstreams {
		if strings.EqualFold(proxyTarget(u), target) {
			return true
		}
	}
	return false
}

// appRun is one app's share of a lint: the app, its pass and rules, and
// the paths to it.
type appRun struct {
	pass  *rules.Pass
	rules []*rules.Rule
	pb    *pathBuilder
	notes []string
}

// claimed returns the proxies of the part that reach the app.
func (r *appRun) claimed(proxies []*nginxconf.Proxy) []*nginxconf.Proxy {
	spec := &r.pass.App.Spec
	if len(spec.Upstreams) == 0 {
		return proxies
	}
	var out []*nginxconf.Proxy
	for _, px := range proxies {
		if claims(spec, px) {
			out = append(out, px)
		}
	}
	return out
}

// targets gathers the distinct HTTP proxy targets of a lint and the ones
// no app claims, for lint's notes about what it did not judge.
type targets struct {
	all       map[string]bool
	unclaimed map[string]trustmodel.Pos // first place of each
}

func newTargets() *targets {
	return &targets{all: map[string]bool{}, unclaimed: map[string]trustmodel.Pos{}}
}

// add records the part's proxies and returns those no app claims.
func (t *targets) add(apps []*appRun, proxies []*nginxconf.Proxy) (others []*nginxconf.Proxy) {
	for _, px := range proxies {
		if !reachesApp(px) {
			continue
		}
		// A copy: px.URL points into its file's text, which a checked part
		// releases; a fleet's targets must not keep every file alive.
		target := strings.Clone(proxyTarget(px.URL))
		t.all[target] = true
		claimed := false
		for _, a := range apps {
			if claims(&a.pass.App.Spec, px) {
				claimed = true
				break
			}
		}
		if !claimed {
			others = append(others, px)
			if _, seen := t.unclaimed[target]; !seen {
				t.unclaimed[target] = px.Pos
			}
		}
	}
	return others
}

// notes says which targets lint did not judge as an app, or that one app
// was taken to be every one of several targets.
func (t *targets) notes(apps []*appRun) []string {
	var out []string
	if len(t.unclaimed) > 0 {
		names := slices.Sorted(maps.Keys(t.unclaimed))
		listed := make([]string, 0, min(len(names), 5))
		for _, n := range names[:min(len(names), 5)] {
			p := t.unclaimed[n]
			listed = append(listed, fmt.Sprintf("%s (%s:%d)", n, p.File, p.Line))
		}
		more := ""
		if len(names) > 5 {
			more = fmt.Sprintf(" and %d more", len(names)-5)
		}
		out = append(out, fmt.Sprintf("not judged as an app: %s%s; no app lists them under upstreams, so they are taken to be other services (only nginx-level rules, and TC302 as info, apply)",
			strings.Join(listed, ", "), more))
	}
	if len(apps) == 1 && len(apps[0].pass.App.Spec.Upstreams) == 0 && len(t.all) > 1 {
		names := slices.Sorted(maps.Keys(t.all))
		more := ""
		if len(names) > 5 {
			more = fmt.Sprintf(" and %d more", len(names)-5)
			names = names[:5]
		}
		out = append(out, fmt.Sprintf("every proxy_pass target is taken to be the app (%s%s); list the app's own under app.upstreams so that other services are not judged by its trust setting",
			strings.Join(names, ", "), more))
	}
	return out
}
