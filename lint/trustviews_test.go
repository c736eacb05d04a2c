package lint

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// TestTrustFitsMatchesEveryPath checks the rules' judgement of a trust
// value, which evaluates only the distinct requests the paths bring the
// app reduced to what decides req.ip, against evaluating every path's own
// replays: on every rule fixture and topology, for each framework (Koa
// reading X-Real-IP instead of X-Forwarded-For) and a range of values.
func TestTrustFitsMatchesEveryPath(t *testing.T) {
	var dirs []string
	for _, ds := range fixtureDirs(t) {
		dirs = append(dirs, ds...)
	}
	topologies, _ := filepath.Glob("../testdata/e2e/topologies/*")
	dirs = append(dirs, topologies...)
	slices.Sort(dirs)
	apps := []trustmodel.AppSpec{
		{Framework: "express", FrameworkVersion: "5"},
		{Framework: "express", FrameworkVersion: "4"},
		{Framework: "fastify", FrameworkVersion: "5"},
		{Framework: "fastify", FrameworkVersion: "4"},
		{Framework: "koa", Options: map[string]any{"proxyIpHeader": "X-Real-IP"}},
		{Framework: "koa"},
		{Framework: "proxy-addr"},
	}
	values := []any{true, false, 1, 2, 3, "loopback", "127.0.0.1", "loopback, 10.0.0.0/8", []any{"loopback", "173.245.48.0/20"}, "uniquelocal"}
	checked, fits := 0, 0
	for _, dir := range dirs {
		ng, err := nginxconf.Load(nginxconf.LoadOptions{}, filepath.Join(dir, "nginx.conf"))
		if err != nil {
			continue // the fixtures of load errors
		}
		cfg, err := loadAppFile(Options{WorkDir: dir, Inputs: []string{filepath.Join(dir, "nginx.conf")}})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, spec := range apps {
			if cfg != nil && len(cfg.Apps) > 0 {
				spec.Listen = cfg.Apps[0].Listen
			}
			spec.TrustProxy, spec.TrustProxySet = "loopback", true
			ev, err := newEvaluator(spec, spec.TrustProxy)
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			app := rules.AppInfo{Spec: spec, Evaluator: ev}
			paths, _ := buildPaths(ng, cfg, app)
			pass := rules.NewPass(ng, cfg, app, paths)
			for _, v := range values {
				ev, err := newEvaluator(spec, v)
				if err != nil {
					continue
				}
				want := fitsEveryPath(ev, paths)
				if got := pass.TrustFits(v); got != want {
					t.Errorf("%s, %s %s, trust %v: TrustFits = %v, every path's replays say %v", dir, spec.Framework, spec.FrameworkVersion, v, got, want)
				}
				checked++
				if want {
					fits++
				}
			}
		}
	}
	t.Logf("compared %d judgements, %d fitting", checked, fits)
	// Both answers must occur, or the comparison proves little.
	if checked < 1000 || fits == 0 || fits == checked {
		t.Fatalf("compared %d judgements, %d fitting", checked, fits)
	}
}

func newEvaluator(spec trustmodel.AppSpec, v any) (trustmodel.Evaluator, error) {
	return trustmodel.NewEvaluator(trustmodel.App{
		Framework: spec.Framework, Version: spec.FrameworkVersion,
		TrustProxy: v, TrustProxySet: true, Options: spec.Options,
	})
}

// fitsEveryPath is the judgement made from every path through nginx: the
// honest client is req.ip wherever its address reaches the app, and no
// injected X-Forwarded-For becomes req.ip.
func fitsEveryPath(ev trustmodel.Evaluator, paths []*rules.Path) bool {
	for _, path := range paths {
		if path.NginxHop() == nil || path.Proxy.FromKind == nginxconf.ConnectTransparent {
			continue
		}
		honest := path.Honest().AtApp
		xff, _ := honest.Headers.NodeValue("x-forwarded-for")
		if honest.Peer == rules.HonestClient || slices.Contains(trustmodel.ParseXFF(xff), rules.HonestClient) {
			if ip := ev.Evaluate(honest).IP; ip == nil || *ip != rules.HonestClient {
				return false
			}
		}
		if r, ok := path.HostileFor("X-Forwarded-For"); ok {
			if ip := ev.Evaluate(r.AtApp).IP; ip != nil && *ip == rules.SpoofedAddr {
				return false
			}
		}
	}
	return true
}

// TestPartsDoNotChangeFindings lints each rule fixture and topology, and
// the multi-server configurations of testdata/parts, with a range of trust
// settings twice: handing the rules one server at a time, and all at once.
// The findings must be the same, texts and related places included: what a
// rule judges across parts (hop counts, the suggested value, one finding
// naming every place) may not depend on where lint cuts the configuration.
func TestPartsDoNotChangeFindings(t *testing.T) {
	type input struct{ conf, app string }
	var inputs []input
	for _, ds := range fixtureDirs(t) {
		for _, d := range ds {
			inputs = append(inputs, input{filepath.Join(d, "nginx.conf"), ""})
		}
	}
	topologies, _ := filepath.Glob("../testdata/e2e/topologies/*/nginx.conf")
	for _, c := range topologies {
		inputs = append(inputs, input{c, ""})
	}
	slices.SortFunc(inputs, func(a, b input) int { return strings.Compare(a.conf, b.conf) })
	const parts = "../testdata/parts/"
	for _, app := range []string{"trustcheck.yaml", "cdn-only.yaml", "session-proxy.yaml"} {
		inputs = append(inputs, input{parts + "nginx.conf", parts + app})
	}
	inputs = append(inputs, input{parts + "uniform.conf", parts + "cdn-only.yaml"})
	quick := []Options{
		{},
		{TrustProxy: "1", TrustProxySet: true},
		{TrustProxy: "2", TrustProxySet: true},
		{TrustProxy: "3", TrustProxySet: true},
		{TrustProxy: "true", TrustProxySet: true},
		{TrustProxy: "false", TrustProxySet: true},
		{TrustProxy: "'127.0.0.1'", TrustProxySet: true},
		{TrustProxy: "'loopback, '", TrustProxySet: true},
		{TrustProxy: "['loopback', '10.0.0.9']", TrustProxySet: true},
		{Framework: "koa", TrustProxy: "true", TrustProxySet: true},
	}
	rules := map[string]bool{}
	compared := 0
	for _, in := range inputs {
		for _, q := range quick {
			o := q
			o.Inputs, o.AppFile, o.WorkDir, o.Format = []string{in.conf}, in.app, filepath.Dir(in.conf), "json"
			whole, werr := lint(o, math.MaxInt)
			parts, perr := lint(o, 1)
			if werr != nil || perr != nil {
				if fmt.Sprint(werr) != fmt.Sprint(perr) {
					t.Errorf("%s with %+v: one server at a time fails with %v, all at once with %v", in.conf, q, perr, werr)
				}
				continue // the fixtures of load errors
			}
			var a, b strings.Builder
			if err := renderJSON(&a, whole, o); err != nil {
				t.Fatal(err)
			}
			if err := renderJSON(&b, parts, o); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() {
				t.Errorf("%s (%s) with %+v: one server at a time gives\n%s\nall at once\n%s", in.conf, in.app, q, b.String(), a.String())
			}
			compared++
			if in.app != "" {
				for _, f := range whole.Findings.All() {
					rules[f.Rule] = true
				}
			}
		}
	}
	// The multi-server configurations must exercise every rule that
	// gathers across parts.
	for _, id := range []string{"TC102", "TC103", "TC104", "TC106", "TC107", "TC108", "TC109", "TC111", "TC203", "TC204", "TC402", "TC404"} {
		if !rules[id] {
			t.Errorf("testdata/parts never fires %s", id)
		}
	}
	if compared < 500 {
		t.Fatalf("compared %d runs", compared)
	}
}
