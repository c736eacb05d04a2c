package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// pathView is what a path diagram shows, computed once from a path, its
// replays and the findings, so that the Mermaid, DOT, Markdown and SVG
// renderers only draw: the participants (client, each hop, the app), the
// honest and one hostile client's request as each participant receives it,
// what the app resolves, and the findings on the participant that causes them.
type pathView struct {
	Number       int // 1-based, in the order `trustcheck paths` lists paths
	Entry        string
	URL          string
	Participants []participantView
	// Replays are the honest client's, then one hostile client's.
	Replays []replayView
	// Worst is the highest severity marked on the path (0: none).
	Worst rules.Severity
	// others are the hostile replays the diagram may show instead, by
	// injected header: lint learns which one its findings name only after
	// it has dropped the path.
	others map[string]replayView
}

// participantView is one box of a diagram.
type participantView struct {
	ID   string // short and unique within the diagram: C, H1, H2, A
	Kind string // client, edge, nginx, app
	Name string
	// Detail is a second line: the hop's file:line, the app's trust setting.
	Detail string
	// owns are the configuration places that belong to this participant; a
	// finding at one of them is marked here. anchors are those that are the
	// participant itself (the hop's pass directive, the app's section): a
	// finding of no one path that names one as related is marked here too.
	owns    []trustmodel.Pos
	anchors []trustmodel.Pos
	Marks   []markView
}

// markView is a finding drawn on the participant that causes it.
type markView struct {
	Rule     string
	Name     string // the rule's kebab-case name
	Severity rules.Severity
	At       string // file:line
	Message  string
}

// replayView is one client's request through the path.
type replayView struct {
	Hostile bool
	inject  string // the injected header
	// Label says which client this is: "honest client", or the hostile
	// client's injected header and value.
	Label string
	// Steps[i] is the request participant i+1 receives from participant i.
	Steps []stepView
	// Result is what the app resolves; nil when its trust setting is unknown.
	Result []resultView
}

// stepView is a request as its receiver sees it: the connection and the
// forwarded headers.
type stepView struct {
	Peer    string // "" over a UNIX socket
	TLS     bool
	Headers []headerView
}

// headerView is one header line; Changed marks, in the hostile replay, a
// value the honest client's request does not carry at this step.
type headerView struct {
	Name, Value string
	Changed     bool
}

// resultView is one property the app resolves. Injected marks a value the
// hostile client chose; Changed a value that differs from the honest one.
type resultView struct {
	Name, Value       string
	Changed, Injected bool
}

// diagramProps are the properties a diagram shows the app resolving.
var diagramProps = []string{"ip", "protocol", "hostname"}

// newPathView replays p's honest client and one hostile one. The hostile
// client is the first of prefer (headers named in the path's findings)
// that the path has, else the first whose injection reaches the app's
// result, else the X-Forwarded-For one. With keepOthers, the view keeps
// the other hostile replays that reach the app, for showHostile.
func newPathView(number int, app rules.AppInfo, p *rules.Path, prefer []string, keepOthers bool) pathView {
	v := pathView{Number: number, Entry: p.Entry, URL: p.URL}
	v.Participants = append(v.Participants, participantView{ID: "C", Kind: "client", Name: "client", Detail: rules.HonestClient})
	for i := range p.Hops {
		h := &p.Hops[i]
		pv := participantView{ID: fmt.Sprintf("H%d", i+1), Kind: "edge", Name: h.Name, Detail: fileLine(h.Pos.File, h.Pos.Line)}
		pv.owns = append(pv.owns, h.Pos)
		pv.anchors = append(pv.anchors, h.Pos)
		for _, r := range h.Rules {
			pv.owns = append(pv.owns, r.Pos)
		}
		if p.Proxy != nil && i == len(p.Hops)-1 {
			pv.Kind = "nginx"
			pv.owns = append(pv.owns, p.Proxy.Pos)
			pv.anchors = append(pv.anchors, p.Proxy.Pos)
			for _, s := range p.Proxy.Shadowed {
				pv.owns = append(pv.owns, s.Pos)
			}
		}
		v.Participants = append(v.Participants, pv)
	}
	appPart := participantView{ID: "A", Kind: "app", Name: "app"}
	switch {
	case app.Evaluator != nil:
		appPart.Name += " (" + app.Evaluator.Name() + ")"
		appPart.Detail = "trust proxy " + jsonText(app.Spec.TrustProxy)
	case app.TrustError != "":
		appPart.Detail = "rejects trust setting " + jsonText(app.Spec.TrustProxy)
	default:
		appPart.Detail = "trust setting unknown"
	}
	appPart.owns = []trustmodel.Pos{app.Spec.Pos, app.Spec.TrustProxyPos, app.Spec.ListenPos, app.Spec.ReachableDirectlyPos}
	appPart.anchors = appPart.owns
	v.Participants = append(v.Participants, appPart)

	names := accessorNamesOf(app.Evaluator)
	honest := p.Honest()
	hv := replayView{Label: "honest client", Steps: steps(p, honest, nil)}
	if app.Evaluator != nil {
		hv.Result = results(names, honest.Result, nil, "")
	}
	hostileView := func(r rules.Replay) replayView {
		rv := replayView{Hostile: true, inject: r.Inject, Label: "hostile client sends " + r.Inject + ": " + r.Value, Steps: steps(p, r, hv.Steps)}
		if app.Evaluator != nil {
			rv.Result = results(names, r.Result, &honest.Result, r.Value)
		}
		return rv
	}
	v.Replays = []replayView{hv}
	hostile, ok := chooseHostile(app, p, honest, prefer)
	if ok {
		v.Replays = append(v.Replays, hostileView(hostile))
	}
	if keepOthers {
		v.others = map[string]replayView{}
		for _, inj := range p.Clients.Injections(p) {
			if r, ok := p.HostileFor(inj.Header); ok && inj.Header != hostile.Inject {
				if rv := hostileView(r); rv.reachesApp() {
					v.others[inj.Header] = rv
				}
			}
		}
	}
	return v
}

// reachesApp reports whether what the hostile client changed arrives at
// the app or in what it resolves: the replays worth drawing.
func (r replayView) reachesApp() bool {
	if len(r.Steps) > 0 && slices.ContainsFunc(r.Steps[len(r.Steps)-1].Headers, func(h headerView) bool { return h.Changed }) {
		return true
	}
	return slices.ContainsFunc(r.Result, func(f resultView) bool { return f.Changed })
}

// showHostile shows, of the hostile replays v keeps, the first whose
// header is in headers, and lets the others go.
func (v *pathView) showHostile(headers []string) {
	for _, h := range headers {
		if len(v.Replays) > 1 && v.Replays[1].inject == h {
			break
		}
		if r, ok := v.others[h]; ok && len(v.Replays) > 1 {
			v.Replays[1] = r
			break
		}
	}
	v.others = nil
}

// chooseHostile picks the hostile replay a diagram shows.
func chooseHostile(app rules.AppInfo, p *rules.Path, honest rules.Replay, prefer []string) (rules.Replay, bool) {
	for _, name := range prefer {
		if r, ok := p.HostileFor(name); ok {
			return r, true
		}
	}
	if app.Evaluator != nil {
		for _, inj := range p.Clients.Injections(p) {
			r, ok := p.HostileFor(inj.Header)
			if ok && slices.ContainsFunc(results(accessorNamesOf(app.Evaluator), r.Result, &honest.Result, r.Value), func(f resultView) bool { return f.Injected }) {
				return r, true
			}
		}
	}
	return p.HostileFor("X-Forwarded-For")
}

// steps is the request each participant after the client receives in r;
// honest, when given, is the honest replay's, to mark what differs.
func steps(p *rules.Path, r rules.Replay, honest []stepView) []stepView {
	reqs := make([]trustmodel.Request, 0, len(p.Hops)+1)
	req := r.Client
	for i := range p.Hops {
		reqs = append(reqs, req)
		req = p.Hops[i].Forward(req)
	}
	reqs = append(reqs, r.AtApp)
	out := make([]stepView, len(reqs))
	for i, q := range reqs {
		s := stepView{Peer: q.Peer, TLS: q.TLS}
		for _, name := range forwardedHeaders {
			for _, l := range q.Headers {
				if strings.EqualFold(l.Name, name) {
					s.Headers = append(s.Headers, headerView{Name: l.Name, Value: l.Value})
				}
			}
		}
		if honest != nil && i < len(honest) {
			for j := range s.Headers {
				h := s.Headers[j]
				s.Headers[j].Changed = !slices.ContainsFunc(honest[i].Headers, func(o headerView) bool {
					return strings.EqualFold(o.Name, h.Name) && o.Value == h.Value
				})
			}
		}
		out[i] = s
	}
	return out
}

// results are the diagram's properties of r; with honest given, each is
// compared with the honest client's.
func results(names accessorNames, r trustmodel.Result, honest *trustmodel.Result, injected string) []resultView {
	value := func(r trustmodel.Result, prop string) string {
		if exc, ok := r.Raised[prop]; ok {
			return "raises " + exc
		}
		var s *string
		switch prop {
		case "ip":
			s = r.IP
		case "protocol":
			s = r.Protocol
		case "hostname":
			s = r.Hostname
		}
		if s == nil {
			return names.null()
		}
		return *s
	}
	out := make([]resultView, 0, len(diagramProps))
	for _, prop := range diagramProps {
		if !names.has(prop) {
			continue
		}
		f := resultView{Name: names.label(prop), Value: value(r, prop)}
		if honest != nil && f.Value != value(*honest, prop) {
			f.Changed = true
			f.Injected = injected != "" && carriesInjected(prop, f.Value, injected)
		}
		out = append(out, f)
	}
	return out
}

// markFindings draws each finding on the participant that causes it: the
// one that owns its place, or one of its related places (for a finding of
// no one path, only a participant's own: a dropped outer directive is
// related to a TC401 but does not make every location that keeps it
// wrong); else, for a finding observed on this path, the nginx hop when
// the place is in its file, otherwise the app.
func (v *pathView) markFindings(fs []rules.Finding) {
	owns := func(p participantView) []trustmodel.Pos { return p.owns }
	anchors := func(p participantView) []trustmodel.Pos { return p.anchors }
	for _, f := range fs {
		if f.Path != "" && f.Path != v.Entry {
			continue // observed on another path, though it may share a place with this one
		}
		at := v.owner(f.Pos, owns)
		related := anchors
		if f.Path == v.Entry {
			related = owns
		}
		for _, pos := range f.Related {
			if at >= 0 {
				break
			}
			at = v.owner(pos, related)
		}
		if at < 0 && f.Path == v.Entry {
			at = len(v.Participants) - 1
			for i, pt := range v.Participants {
				if pt.Kind == "nginx" && slices.ContainsFunc(pt.owns, func(p trustmodel.Pos) bool { return p.File == f.Pos.File }) {
					at = i
				}
			}
		}
		if at < 0 {
			continue
		}
		m := markView{Rule: f.Rule, Severity: f.Severity, At: fileLine(f.Pos.File, f.Pos.Line), Message: f.Message}
		if r := rules.ByID(f.Rule); r != nil {
			m.Name = r.Name
		}
		if !slices.Contains(v.Participants[at].Marks, m) {
			v.Participants[at].Marks = append(v.Participants[at].Marks, m)
		}
		v.Worst = max(v.Worst, f.Severity)
	}
}

// owner is the participant whose places include pos, -1 when none does.
func (v *pathView) owner(pos trustmodel.Pos, places func(participantView) []trustmodel.Pos) int {
	if pos.File == "" || pos.Line == 0 {
		return -1
	}
	for i, pt := range v.Participants {
		if slices.Contains(places(pt), pos) {
			return i
		}
	}
	return -1
}

// findingIndex finds the findings that concern a path: those observed on
// it, and those not observed on any one path (a directive, a trust value)
// at or related to a place of its participants.
type findingIndex struct {
	byPath    map[string][]int
	byPos     map[trustmodel.Pos][]int
	byRelated map[trustmodel.Pos][]int
	all       []rules.Finding
}

func newFindingIndex(fs []rules.Finding) *findingIndex {
	ix := &findingIndex{byPath: map[string][]int{}, byPos: map[trustmodel.Pos][]int{}, byRelated: map[trustmodel.Pos][]int{}, all: fs}
	for i, f := range fs {
		if f.Path != "" {
			ix.byPath[f.Path] = append(ix.byPath[f.Path], i)
			continue
		}
		ix.byPos[f.Pos] = append(ix.byPos[f.Pos], i)
		for _, r := range f.Related {
			ix.byRelated[r] = append(ix.byRelated[r], i)
		}
	}
	return ix
}

// of lists the findings that concern v, in report order.
func (ix *findingIndex) of(v *pathView) []rules.Finding {
	var idx []int
	idx = append(idx, ix.byPath[v.Entry]...)
	for _, pt := range v.Participants {
		for _, pos := range pt.owns {
			if pos.File != "" {
				idx = append(idx, ix.byPos[pos]...)
			}
		}
		for _, pos := range pt.anchors {
			if pos.File != "" {
				idx = append(idx, ix.byRelated[pos]...)
			}
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]rules.Finding, len(idx))
	for i, j := range idx {
		out[i] = ix.all[j]
	}
	return out
}

// injectedHeaders are the hostile headers a path's findings demonstrate,
// read from their attacks ("a client sending \"X-Forwarded-Host: ..."), in
// the order lint injects them.
func injectedHeaders(fs []rules.Finding) []string {
	var out []string
	for _, inj := range hostileInjections {
		for _, f := range fs {
			if strings.Contains(f.Attack, `"`+inj.header+":") && !slices.Contains(out, inj.header) {
				out = append(out, inj.header)
			}
		}
	}
	return out
}

// pathViews builds the diagram of every path of pr, marked with fs.
func pathViews(pr *prepared, fs []rules.Finding) []pathView {
	ix := newFindingIndex(fs)
	out := make([]pathView, 0, len(pr.paths))
	for i, p := range pr.paths {
		on := ix.byPath[p.Entry]
		prefer := make([]rules.Finding, len(on))
		for j, k := range on {
			prefer[j] = fs[k]
		}
		v := newPathView(i+1, pr.app, p, injectedHeaders(prefer), false)
		v.markFindings(ix.of(&v))
		out = append(out, v)
	}
	return out
}

// lines renders a step's connection and headers as lines.
func (s stepView) lines(showPeer bool) []string {
	var out []string
	if showPeer {
		peer := s.Peer
		if peer == "" {
			peer = "(UNIX socket)"
		}
		out = append(out, fmt.Sprintf("from %s over %s", peer, scheme(s.TLS)))
	}
	for _, h := range s.Headers {
		l := h.Name + ": " + h.Value
		if h.Changed {
			l += " (!)"
		}
		out = append(out, l)
	}
	if len(s.Headers) == 0 {
		out = append(out, "(no forwarded headers)")
	}
	return out
}

// resultLines renders what the app resolves as lines.
func (r replayView) resultLines() []string {
	if r.Result == nil {
		return []string{"result unknown (trust setting unknown)"}
	}
	out := make([]string, 0, len(r.Result))
	for _, f := range r.Result {
		l := f.Name + " = " + f.Value
		switch {
		case f.Injected:
			l += " (injected)"
		case f.Changed:
			l += " (changed)"
		}
		out = append(out, l)
	}
	return out
}

// markLine renders a finding mark in one line.
func (m markView) line() string {
	return fmt.Sprintf("%s %s %s at %s", m.Severity, m.Rule, m.Name, m.At)
}
