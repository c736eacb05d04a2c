package rules

import (
	"slices"
	"sync"

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
	// Clients sends the path's clients through it.
	Clients Replayer
}

// Replayer sends the honest client and the hostile ones through a path:
// lint's, which chooses the clients and knows the app's socket.
type Replayer interface {
	// Replay sends the honest client (inject "") or the hostile one that
	// injects header inject; false when the path has no such client.
	Replay(path *Path, inject string) (Replay, bool)
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
	return trustmodel.Request{Peer: HonestClient, TLS: p.TLS, Headers: trustmodel.Header{{Name: "Host", Value: p.Host}}}
}

// Honest replays the honest client.
func (p *Path) Honest() Replay {
	r, _ := p.Clients.Replay(p, "")
	return r
}

// HostileFor replays the client that injects header name, if the path has one.
func (p *Path) HostileFor(name string) (Replay, bool) {
	return p.Clients.Replay(p, name)
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

// AppInfo is what trustcheck knows about the app.
type AppInfo struct {
	// Spec is the app section of trustcheck.yaml (or the quick-mode flags).
	Spec trustmodel.AppSpec
	// Evaluator is nil when the app's trust setting is unknown.
	Evaluator trustmodel.Evaluator
	// TrustError is the framework's own message when it rejects the setting.
	TrustError string
}

// Pass is what a rule checks and where it reports.
type Pass struct {
	Nginx *nginxconf.Config
	// Config is the trustcheck.yaml in force, nil when there is none.
	Config *trustmodel.Config
	App    AppInfo
	Paths  []*Path

	rule     *Rule
	findings []Finding
	shared   *passShared
	// texts interns the running rule's finding texts: a rule firing at
	// every location of a fleet repeats one message and one fix thousands
	// of times, and each Sprintf would otherwise keep its own copy.
	texts map[string]string
}

// passShared is what the rules of one pass compute once for all of them.
type passShared struct {
	realipOnce sync.Once
	realip     *realipConfig // realip's configuration, once a rule asks

	suggestOnce sync.Once
	suggested   any // suggestedTrust's value, once a rule asks

	nginxOnce sync.Once
	nginx     []*Path // nginxPaths
	viewsOnce sync.Once
	views     *trustViews
	hopsOnce  sync.Once
	hops      map[*Path]int // hopsToClient of each nginx path
	countOnce sync.Once
	count     int // countFits: the largest hop count a path needs
	countOK   bool

	listenOnce sync.Once
	listen     trustmodel.Listen // the app's listen socket (zero when unknown)
}

// NewPass prepares a pass; lint fills it and runs the rules.
func NewPass(ng *nginxconf.Config, cfg *trustmodel.Config, app AppInfo, paths []*Path) *Pass {
	return &Pass{Nginx: ng, Config: cfg, App: app, Paths: paths, shared: &passShared{}}
}

// Report records a finding of the running rule.
func (p *Pass) Report(f Finding) {
	f.Rule = p.rule.ID
	if f.Severity == 0 {
		f.Severity = p.rule.Severity
	}
	f.Directive, f.Message, f.Fix = p.intern(f.Directive), p.intern(f.Message), p.intern(f.Fix)
	p.findings = append(p.findings, f)
}

// Run checks every rule in rs and returns their findings, rule by rule in
// rs's order, each rule's in the order it reported them. Rules only read
// the pass, so GOMAXPROCS of them run at a time, each reporting into its
// own list.
func (p *Pass) Run(rs []*Rule) []Finding {
	per := make([][]Finding, len(rs))
	parallel.Do(len(rs), func(i int) {
		rp := *p
		rp.rule, rp.findings, rp.texts = rs[i], nil, nil
		rs[i].Check(&rp)
		per[i] = rp.findings
	})
	n := len(p.findings)
	for _, fs := range per {
		n += len(fs)
	}
	p.findings = slices.Grow(p.findings, n-len(p.findings))
	for _, fs := range per {
		p.findings = append(p.findings, fs...)
	}
	return p.findings
}

func (p *Pass) intern(s string) string {
	if t, ok := p.texts[s]; ok {
		return t
	}
	if p.texts == nil {
		p.texts = map[string]string{}
	}
	p.texts[s] = s
	return s
}
