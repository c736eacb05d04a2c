package rules

import (
	"iter"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/trustcheck/trustcheck/internal/parallel"
	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// Addresses the replays use: the honest client, and what hostile clients inject.
const (
	HonestClient = "203.0.113.7"
	SpoofedAddr  = "6.6.6.6"
	SpoofedHost  = "evil.example"
)

// EntryKind says where a path starts.
type EntryKind int

const (
	EntryEdge  EntryKind = iota + 1 // through the outermost edge hop
	EntryNginx                      // straight to nginx
	EntryApp                        // straight to the app
)

// Path is one way a request reaches the app. Its replays are computed when
// a rule asks for one and not kept: a fleet has tens of thousands of paths,
// and holding seven replays of each costs more than replaying the few a rule
// reads.
type Path struct {
	trustmodel.Path
	Kind EntryKind
	// Proxy is the nginx place the path passes through (nil for EntryApp).
	Proxy *nginxconf.Proxy
	// Proxies counts the proxies on the path (edge hops plus nginx).
	Proxies int
	// URL is what the honest client requests, e.g. https://app.example/api/.
	URL string
	// TLS and Host are how the honest client connects and the host it asks for.
	TLS  bool
	Host string
	// From is the clients' address when they are not on the internet: a
	// neighbour on the app's network, whose private address the trust
	// setting may cover; "" for HonestClient.
	From string
	// Clients sends the path's clients through it.
	Clients Replayer

	// honest is the honest client's replay, kept once the pass has folded
	// the path into its trust views (most rules read it); nil before.
	honest *Replay
}

// Replayer sends the honest client and the hostile ones through a path:
// lint's, which chooses the clients and knows the app's socket.
type Replayer interface {
	// Replay sends the honest client (inject "") or the hostile one that
	// injects header inject; false when the path has no such client.
	Replay(path *Path, inject string) (Replay, bool)
	// Arrive is what the app receives from that client, without the app's
	// evaluation of it.
	Arrive(path *Path, inject string) (trustmodel.Request, bool)
	// Injections lists what the path's hostile clients inject, in order.
	Injections(path *Path) []Injection
}

// Injection is a header a hostile client adds, with the value it chooses.
type Injection struct{ Header, Value string }

// Replay is one client request through a path and what the app made of it.
type Replay struct {
	// Inject names the hostile header ("" for the honest client).
	Inject string
	// Value is the injected value.
	Value  string
	Client trustmodel.Request
	AtApp  trustmodel.Request
	Result trustmodel.Result
}

// Client is the honest client's request.
func (p *Path) Client() trustmodel.Request {
	return trustmodel.Request{Peer: p.ClientAddr(), TLS: p.TLS, Headers: trustmodel.Header{{Name: "Host", Value: p.Host}}}
}

// ClientAddr is the address the path's clients connect from.
func (p *Path) ClientAddr() string {
	if p.From != "" {
		return p.From
	}
	return HonestClient
}

// Honest replays the honest client.
func (p *Path) Honest() Replay {
	if p.honest != nil {
		return *p.honest
	}
	r, _ := p.Clients.Replay(p, "")
	return r
}

// HostileFor replays the client that injects header name, if the path has one.
func (p *Path) HostileFor(name string) (Replay, bool) {
	return p.Clients.Replay(p, name)
}

// keepHonest replays the honest client once for every rule that reads it.
func (p *Path) keepHonest() {
	h, _ := p.Clients.Replay(p, "")
	p.honest = &h
}

// Hostile replays every hostile client, in order.
func (p *Path) Hostile() []Replay {
	injs := p.Clients.Injections(p)
	out := make([]Replay, 0, len(injs))
	for _, inj := range injs {
		r, _ := p.Clients.Replay(p, inj.Header)
		out = append(out, r)
	}
	return out
}

// replayAdding replays the path's honest client with header: value added before
// its own headers, and has the app evaluate what arrives.
func (p *Pass) replayAdding(path *Path, header, value string) Replay {
	client := path.Client()
	client.Headers = append(trustmodel.Header{{Name: header, Value: value}}, client.Headers...)
	r := Replay{Inject: header, Value: value, Client: client, AtApp: path.Replay(client)}
	r.Result = p.App.Evaluator.Evaluate(r.AtApp)
	return r
}

// AppInfo is what trustcheck knows about the app.
type AppInfo struct {
	// Spec is the app section of trustcheck.yaml (or the quick-mode flags).
	Spec trustmodel.AppSpec
	// Evaluator is nil when the app's trust setting is unknown.
	Evaluator trustmodel.Evaluator
	// TrustError is the framework's own message when it rejects the setting.
	TrustError string
}

// Pass is what a rule checks and where it reports. Lint hands the rules a
// fleet a part at a time, some servers, their proxies and the paths through
// them, so that they are never all held at once: each rule's Check runs on
// every part, then its Finish once, with what it gathered.
type Pass struct {
	Nginx *nginxconf.Config
	// Config is the trustcheck.yaml in force, nil when there is none.
	Config *trustmodel.Config
	App    AppInfo
	// Servers, their Proxies and the Paths through them are the part Check
	// is looking at (none in Finish).
	Servers []*nginxconf.Server
	Proxies []*nginxconf.Proxy
	Paths   []*Path

	nginx  []*Path // the part's paths through nginx (nginxPaths)
	rule   *Rule
	run    *ruleRun
	shared *passShared
}

// ruleRun is what a rule keeps from part to part.
type ruleRun struct {
	findings findingLog
	state    any // the rule's own, see stateOf
}

// stateOf is the running rule's state across parts, made on first use.
func stateOf[T any](p *Pass) *T {
	if p.run.state == nil {
		p.run.state = new(T)
	}
	return p.run.state.(*T)
}

// passShared is what the rules of one pass compute once for all of them.
type passShared struct {
	runs map[*Rule]*ruleRun

	// views fold every part's paths through nginx; complete once every
	// part has been checked, and only then may a rule read them.
	views    *trustViews
	complete bool
	judging  atomic.Bool // see judgeTrustValues
	// unjudged counts the parts folded before any rule judged trust values.
	unjudged int

	realipReader *realipReader // reads every part's proxies and places
	// kept are every part's server blocks of kept directives (keptBlocks).
	kept       [][]*nginxconf.Directive
	realipOnce sync.Once
	realip     *realipConfig   // realip's configuration, once a rule asks
	firstProxy *trustmodel.Pos // the first part's first proxy (anyConfigPos)

	suggestOnce sync.Once
	suggested   any // suggestedTrust's value, once a rule asks

	countOnce sync.Once
	count     int // countFits: the largest hop count a path needs
	countOK   bool

	listenOnce sync.Once
	listen     trustmodel.Listen // the app's listen socket (zero when unknown)

	hopCountOnce sync.Once
	hopCountN    float64 // frameworkHopCount's answer, once a rule asks
	hopCountOK   bool

	// headerProbes caches, by header, value and peer, whether the app's
	// framework reacts to a client's header at all (headerMatters).
	headerProbes sync.Map
}

// NewPass prepares a pass over the paths through ng (nil when lint hands
// them over a part at a time with Check).
func NewPass(ng *nginxconf.Config, cfg *trustmodel.Config, app AppInfo, paths []*Path) *Pass {
	p := &Pass{Nginx: ng, Config: cfg, App: app, Paths: paths, shared: &passShared{runs: map[*Rule]*ruleRun{}}}
	p.shared.realipReader = newRealipReader(proxyRanges(p))
	p.shared.views = newTrustViews(p)
	return p
}

// Report records a finding of the running rule.
func (p *Pass) Report(f Finding) {
	f.Rule = p.rule.ID
	if f.Severity == 0 {
		f.Severity = p.rule.Severity
	}
	p.run.findings.add(&f)
}

// Run checks every rule in rs on ng's servers and proxies and the pass's
// paths as one part and returns the findings as Finish does.
func (p *Pass) Run(rs []*Rule) []Finding {
	p.Check(rs, p.Nginx.Servers, p.Nginx.Proxies(), p.Paths)
	return slices.Collect(p.Finish(rs))
}

// Check runs each rule's Check on one part: servers, their proxies, and
// the paths through those in the order lint builds them. The paths through
// nginx are folded into the trust views, keeping the honest replay most
// rules read, and what the rules that finish last read of the servers is
// kept (realip settings, kept directives). Rules only read the part, so
// GOMAXPROCS of them run at a time.
func (p *Pass) Check(rs []*Rule, servers []*nginxconf.Server, proxies []*nginxconf.Proxy, paths []*Path) {
	// Outside Node the trust is in the framework's description (options,
	// middleware, server, defaults), so any app with an evaluator has one,
	// and one the framework refuses is judged too (TC108).
	p.check(rs, servers, proxies, paths, p.App.Spec.TrustProxySet || p.App.Evaluator != nil || p.App.TrustError != "")
}

// check is Check, folding the paths into the trust views when fold: only
// a trust setting, or suggest, has them read.
func (p *Pass) check(rs []*Rule, servers []*nginxconf.Server, proxies []*nginxconf.Proxy, paths []*Path, fold bool) {
	part := *p
	part.Servers, part.Proxies, part.Paths = servers, proxies, paths
	if p.shared.firstProxy == nil && len(proxies) > 0 {
		first := proxies[0].Pos // a copy: the proxy itself is dropped with its part
		p.shared.firstProxy = &first
	}
	p.shared.realipReader.addProxies(proxies)
	dt := newDetacher()
	p.shared.realipReader.addPlaces(servers)
	p.shared.kept = keepBlocks(p.shared.kept, servers, dt, p.shared.realipReader.inUse)
	// Paths through a transparent proxy_bind are left out: the app sees
	// each client's own address there, which the replayed hop cannot express.
	for _, path := range paths {
		if path.NginxHop() != nil && path.Proxy.FromKind != nginxconf.ConnectTransparent {
			part.nginx = append(part.nginx, path)
		}
	}
	if fold {
		parallel.Do(len(part.nginx), func(i int) { part.nginx[i].keepHonest() })
		for _, path := range part.nginx {
			p.shared.views.add(p, path)
		}
	}
	runs := p.runsOf(rs)
	parallel.Do(len(rs), func(i int) {
		if rs[i].Check != nil {
			rp := part
			rp.rule, rp.run = rs[i], runs[i]
			rs[i].Check(&rp)
		}
	})
	// A rule asks for the injectors' requests in its Check at the latest,
	// so they are folded after the rules; the part's paths are still here.
	if fold && !p.shared.judging.Load() && len(part.nginx) > 0 {
		p.shared.unjudged++
	}
	if fold && p.shared.judging.Load() {
		spoofed := make([]*trustmodel.Request, len(part.nginx))
		parallel.Do(len(part.nginx), func(i int) {
			path := part.nginx[i]
			if atApp, ok := path.Clients.Arrive(path, "X-Forwarded-For"); ok {
				spoofed[i] = &atApp
			}
		})
		for _, req := range spoofed {
			if req != nil {
				p.shared.views.addSpoofed(*req)
			}
		}
	}
}

// judgeTrustValues says that this rule's Finish judges trust values
// (trustFits), for which the trust views need what the X-Forwarded-For
// injector brings the app on every path. A rule says so in its Check of
// the first part: later, the parts before are gone.
func (p *Pass) judgeTrustValues() {
	if p.shared.unjudged > 0 {
		panic("rules: judgeTrustValues after parts were folded without the injectors' requests")
	}
	p.shared.judging.Store(true)
}

// Finish runs each rule's Finish once every part is checked and yields the
// findings, rule by rule in rs's order, each rule's in the order it
// reported them. They are yielded once, decoded as they go; the pass is
// done with.
func (p *Pass) Finish(rs []*Rule) iter.Seq[Finding] {
	p.shared.complete = true
	runs := p.runsOf(rs)
	parallel.Do(len(rs), func(i int) {
		if rs[i].Finish != nil {
			rp := *p
			rp.Servers, rp.Proxies, rp.Paths = nil, nil, nil
			rp.rule, rp.run = rs[i], runs[i]
			rs[i].Finish(&rp)
		}
	})
	logs := make([]findingLog, len(runs))
	for i, r := range runs {
		logs[i] = r.findings
	}
	// What the rules gathered is not needed past their Finish: it goes
	// before a fleet's findings are decoded, and the pass with it.
	p.shared = nil
	return func(yield func(Finding) bool) {
		for i := range logs {
			log := logs[i]
			logs[i] = findingLog{}
			for f := range log.all() {
				if !yield(f) {
					return
				}
			}
		}
	}
}

// runsOf returns each rule's run, made before any rule runs.
func (p *Pass) runsOf(rs []*Rule) []*ruleRun {
	out := make([]*ruleRun, len(rs))
	for i, r := range rs {
		if p.shared.runs[r] == nil {
			p.shared.runs[r] = &ruleRun{}
		}
		out[i] = p.shared.runs[r]
	}
	return out
}
