package lint

import (
	"strings"

	"github.com/trustcheck/trustcheck/rules"
)

// maxReportDiagrams bounds the paths a report draws: a fleet has tens of
// thousands, each diagram a few kilobytes.
const maxReportDiagrams = 1000

// pathCollector keeps, while lint checks a fleet a part at a time, the
// diagrams of the first paths that show a problem: a hostile value reaches
// what the app resolves, or the honest client is resolved wrongly. Paths
// are numbered as `trustcheck paths` numbers them.
type pathCollector struct {
	max     int
	seen    int
	views   []pathView
	omitted int // paths not looked at once max were kept
	app     string
}

func (c *pathCollector) see(app rules.AppInfo, ps []*rules.Path) {
	c.app = appLabel(app)
	for _, p := range ps {
		c.seen++
		if app.Evaluator == nil {
			continue
		}
		if len(c.views) >= c.max {
			c.omitted++
			continue
		}
		if v := newPathView(c.seen, app, p, nil, true); v.problem(p.TLS) {
			c.views = append(c.views, v)
		}
	}
}

// problem reports whether v shows a wrong or client-chosen result.
func (v *pathView) problem(tls bool) bool {
	for _, r := range v.Replays {
		for _, f := range r.Result {
			switch {
			case f.Injected:
				return true
			case r.Hostile:
			case f.Value == "undefined":
			case strings.HasSuffix(f.Name, "ip") && f.Value != rules.HonestClient && f.Value != "::ffff:"+rules.HonestClient:
				return true
			case strings.HasSuffix(f.Name, "protocol") && f.Value != scheme(tls):
				return true
			}
		}
	}
	return false
}

// lintDrawing lints and, when the format or the job summary draws paths,
// keeps the diagrams of the paths with a problem, marked with the findings.
func lintDrawing(o Options) (*Report, error) {
	if o.Format != "html" && o.Summary == "" {
		return Lint(o)
	}
	c := &pathCollector{max: maxReportDiagrams}
	rep, err := lintSeeing(o, partServers, c.see)
	if err != nil {
		return nil, err
	}
	ix := newFindingIndex(rep.Findings.Slice())
	for i := range c.views {
		fs := ix.of(&c.views[i])
		c.views[i].markFindings(fs)
		c.views[i].showHostile(injectedHeaders(fs))
	}
	rep.diagrams, rep.omittedDiagrams, rep.app = c.views, c.omitted, c.app
	return rep, nil
}

// appLabel names the app as a report's filter lists it.
func appLabel(app rules.AppInfo) string {
	fw := app.Spec.Framework
	if fw == "" {
		fw = "express"
	}
	if app.Evaluator != nil {
		fw = app.Evaluator.Name()
	}
	if app.Spec.TrustProxySet {
		return fw + ", trust proxy " + jsonText(app.Spec.TrustProxy)
	}
	return fw
}
