package lint

import (
	"path/filepath"
	"slices"
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
			if cfg != nil {
				spec.Listen = cfg.App.Listen
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
