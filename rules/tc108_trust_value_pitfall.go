package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

var tc108 = &Rule{
	ID:       "TC108",
	Name:     "trust-value-pitfall",
	Severity: Error,
	// It must also run when the framework rejects the value and there is
	// no evaluator: that is one of the pitfalls it reports.
	NeedsApp: false,
	Doc: Doc{
		Title: "The trust value does not mean what it looks like",
		Rationale: "Express and Fastify split a string on commas and hand each entry to proxy-addr, which accepts only " +
			"IP addresses, CIDR ranges and the lower-case names `loopback`, `linklocal` and `uniquelocal`. So `'1'` (a " +
			"hop count read from an environment variable) is the IP address 0.0.0.1 and trusts no real proxy; `'true'`, " +
			"`'LOOPBACK'`, `'localhost'`, `'loopback,'` and `'0.0.0.0/0'` make `app.set` throw, and the app does not " +
			"start. An IPv4-mapped range with an IPv4-sized prefix (`::ffff:10.0.0.0/8`) matches nothing on proxy-addr " +
			"2.0.8 and every IPv4 address on 2.0.7, which Express 4 (`~2.0.7`) lockfiles still carry " +
			"(GHSA-jqcg-44mw-7w3h). Koa's `app.proxy` is a plain boolean: any non-empty string, even `'false'`, or a " +
			"list of addresses switches on trust of every peer.",
		Bad: "# trustcheck.yaml\n" +
			"app:\n" +
			"  trust_proxy: \"1\"        # from process.env.TRUST_PROXY: the IP 0.0.0.1, not one hop",
		Good: "# trustcheck.yaml\n" +
			"app:\n" +
			"  trust_proxy: loopback   # or the number 1: app.set('trust proxy', Number(process.env.TRUST_PROXY))",
		Fix: "Pass the value the framework means: a number for a hop count (convert environment variables with " +
			"`Number()`), the boolean `true`, lower-case range names, addresses and ranges of /1 or longer, no empty " +
			"entries; write IPv4 ranges in IPv4 form (`10.0.0.0/8` also matches `::ffff:10.x`) and make sure the " +
			"lockfile resolves proxy-addr 2.0.8 (`npm update proxy-addr`). For Koa use a real boolean.",
		References: []string{
			"https://expressjs.com/en/guide/behind-proxies.html",
			"https://github.com/jshttp/proxy-addr#proxyaddrreq-trust",
			"https://github.com/jshttp/proxy-addr/blob/master/HISTORY.md",
			"https://koajs.com/#settings",
		},
	},
	Check:  checkTC108,
	Finish: finishTC108,
}

// tc108State is TC108's finding, decided from the trust setting alone,
// and the proxy_pass of every path through nginx, which it names.
type tc108State struct {
	decided bool
	msg     string
	fix     func(*Pass) SuggestedFix // reads every path: only Finish may call it
	related positionSet
}

// checkTC108 decides whether the trust setting is a pitfall and gathers
// the paths' proxy_pass; the fix needs every path (finishTC108).
func checkTC108(p *Pass) {
	st := stateOf[tc108State](p)
	if !st.decided {
		st.decided = true
		node := trustmodel.NodeFramework(p.App.Spec.Framework)
		if !p.App.Spec.TrustProxySet && (node || p.App.TrustError == "") {
			return // outside Node a refused middleware or option counts too
		}
		switch {
		case !node:
			// The pitfalls below are JavaScript's and proxy-addr's; other
			// frameworks are judged by what they themselves refuse.
			if p.App.TrustError != "" {
				st.msg = fmt.Sprintf("%s refuses this trust setting at start-up (%s), so the app does not start", p.App.Spec.Framework, p.App.TrustError)
				st.fix = (*Pass).refusedTrustFix
			}
		case strings.EqualFold(p.App.Spec.Framework, "koa"):
			st.msg, st.fix = p.koaPitfall()
		default:
			st.msg, st.fix = p.listPitfall()
		}
	}
	if st.msg == "" {
		return
	}
	p.judgeTrustValues() // does the corrected value fit every path?
	for _, path := range p.nginxPaths() {
		st.related.add(path.Proxy.Pos)
	}
}

func finishTC108(p *Pass) {
	st := stateOf[tc108State](p)
	if st.msg == "" {
		return
	}
	pos := p.anyConfigPos()
	if p.App.Spec.Pos.File != "" {
		pos = p.App.Spec.Pos
	}
	p.Report(Finding{
		Pos:       p.TrustPosOr(pos),
		Directive: p.trustDirective(),
		Message:   st.msg,
		Fix:       st.fix(p),
		Related:   st.related.list,
	})
}

// koaPitfall: app.proxy is a boolean, and JavaScript truthiness decides.
func (p *Pass) koaPitfall() (msg string, fix func(*Pass) SuggestedFix) {
	switch v := p.App.Spec.TrustProxy.(type) {
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "true", "1":
			return "", nil
		case "false", "0", "no", "off":
			return fmt.Sprintf("%s is a non-empty string, which JavaScript treats as true: Koa believes X-Forwarded-For, -Proto and -Host from every peer", p.trustDirective()),
				func(p *Pass) SuggestedFix {
					if p.suggestedTrust() != nil {
						// Behind nginx, false is no fix: the app then sees only nginx (TC104).
						return prefixFix("a boolean, the one the app needs behind nginx: ", p.trustFix())
					}
					return Fix(p.SetTrust("false")+" (a boolean; from an environment variable: process.env.TRUST_PROXY === 'true')", p.trustEdits(false)...)
				}
		}
	case []any:
	default:
		return "", nil
	}
	return fmt.Sprintf("Koa's app.proxy is all or nothing, not a list of proxies: %s switches on trust of every peer", p.trustDirective()),
		func(p *Pass) SuggestedFix {
			return Fix(p.SetTrust("true")+" — Koa cannot limit trust to addresses, so make sure only nginx reaches the app and nginx overwrites X-Forwarded-For", p.trustEdits(true)...)
		}
}

// trustElem is one entry of an Express/Fastify trust list and what is
// wrong with it.
type trustElem struct {
	// hint says what the entry means instead ("" when it is fine).
	hint string
	// fixed replaces the entry: dropped, a corrected entry, or (for a
	// whole-value mistake like '1') a value of another type.
	fixed any
	drop  bool
	ok    bool // fixed/drop is meaningful
	// broken: proxy-addr rejects the entry for a reason with no hint.
	broken bool
	// upgrade: the entry is right only on proxy-addr 2.0.8.
	upgrade bool
}

// listPitfall checks an Express or Fastify value entry by entry.
func (p *Pass) listPitfall() (msg string, fix func(*Pass) SuggestedFix) {
	var texts []string
	switch v := p.App.Spec.TrustProxy.(type) {
	case string:
		if v == "" && p.App.TrustError == "" {
			return "", nil // Fastify: an empty string switches trust off, as it reads
		}
		for _, e := range strings.Split(v, ",") {
			texts = append(texts, strings.TrimSpace(e))
		}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				if p.App.TrustError != "" {
					return fmt.Sprintf("%s throws at start-up (%q), so the app does not start: a list takes strings only (a hop count is a plain number, not a list entry)",
						p.trustDirective(), p.App.TrustError), func(p *Pass) SuggestedFix { return p.fixFor(nil, false) }
				}
				return "", nil
			}
			texts = append(texts, s)
		}
	}
	whole := len(texts) == 1
	var hints []string
	fixable, upgrade := true, false
	var fixed []any
	for _, t := range texts {
		e := p.classify(t, whole)
		if e.hint != "" {
			hints = append(hints, e.hint)
		}
		upgrade = upgrade || e.upgrade
		switch {
		case e.broken:
			fixable = false
		case e.hint == "":
			fixed = append(fixed, t)
		case !e.ok:
			fixable = false
		case !e.drop:
			fixed = append(fixed, e.fixed)
		}
	}
	var corrected any
	if fixable && len(fixed) > 0 {
		corrected = fixed
		if len(fixed) == 1 {
			corrected = fixed[0]
		}
	}
	switch {
	case p.App.TrustError != "":
		msg = fmt.Sprintf("%s throws at start-up (%q), so the app does not start", p.trustDirective(), p.App.TrustError)
		if len(hints) > 0 {
			msg += ": " + strings.Join(hints, "; ")
		}
	case len(hints) > 0:
		msg = strings.Join(hints, "; ")
	default:
		return "", nil
	}
	return msg, func(p *Pass) SuggestedFix { return p.fixFor(corrected, upgrade) }
}

// classify says what one entry means if it is not what it looks like.
func (p *Pass) classify(t string, whole bool) trustElem {
	var e trustElem
	lower := strings.ToLower(t)
	switch {
	case t == "" && whole:
		e.hint = "an empty string is not an address"
		e.drop, e.ok = true, true
	case t == "":
		e.hint = "an empty entry (a trailing or doubled comma) is not an address"
		e.drop, e.ok = true, true
	case isDigits(t) && validJSAddr(t):
		a, _ := trustmodel.ParseJSAddr(trustmodel.IPAddrJS1, t)
		e.hint = fmt.Sprintf("the string '%s' is the IP address %s, not a hop count, so it trusts no real proxy", t, a)
		if whole {
			n := 0
			fmt.Sscan(t, &n)
			e.fixed, e.ok = n, true
		}
	case lower == "true" || lower == "false":
		e.hint = fmt.Sprintf("'%s' is a string, not the boolean %s", t, lower)
		if whole {
			e.fixed, e.ok = lower == "true", true
		}
	case lower != t && (lower == "loopback" || lower == "linklocal" || lower == "uniquelocal"):
		e.hint = fmt.Sprintf("range names are lower-case: '%s' is not '%s'", t, lower)
		e.fixed, e.ok = lower, true
	case lower == "localhost" || lower == "ip6-localhost":
		e.hint = fmt.Sprintf("'%s' is a host name; proxy-addr takes addresses, CIDR ranges and the names loopback, linklocal and uniquelocal", t)
		e.fixed, e.ok = "loopback", true
	case strings.HasSuffix(t, "/0"):
		e.hint = fmt.Sprintf("proxy-addr rejects the /0 range '%s': a range cannot mean every address", t)
	default:
		if _, err := trustmodel.CompileProxyAddr(trustmodel.ProxyAddr208, []string{t}); err != nil {
			e.broken = true
			break
		}
		e.hint = p.mappedRangeHint(t)
		if pfx, ok := mappedIPv4Range(t); ok {
			e.fixed, e.ok = pfx, true
		} else if e.hint != "" {
			e.fixed, e.ok, e.upgrade = t, true, true
		}
	}
	return e
}

func validJSAddr(s string) bool {
	_, ok := trustmodel.ParseJSAddr(trustmodel.IPAddrJS1, s)
	return ok
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// mappedIPv4Range returns the IPv4 form of an IPv4-mapped range written with
// an IPv4-sized prefix: "::ffff:10.0.0.0/8" is "10.0.0.0/8".
func mappedIPv4Range(t string) (string, bool) {
	pfx, err := netip.ParsePrefix(t)
	if err != nil || !pfx.Addr().Is4In6() || pfx.Bits() >= 96 || pfx.Bits() == 0 {
		return "", false
	}
	return netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()).Masked().String(), true
}

// probes are addresses whose trust differs between proxy-addr versions.
var probes = []string{SpoofedAddr, "::ffff:" + SpoofedAddr, "::1", "2001:db8::6"}

// mappedRangeHint explains an entry proxy-addr 2.0.7 and 2.0.8 disagree on
// (GHSA-jqcg-44mw-7w3h), or that 2.0.8 matches nothing with.
func (p *Pass) mappedRangeHint(t string) string {
	c7, err7 := trustmodel.CompileProxyAddr(trustmodel.ProxyAddr207, []string{t})
	c8, err8 := trustmodel.CompileProxyAddr(trustmodel.ProxyAddr208, []string{t})
	if err7 != nil || err8 != nil {
		return ""
	}
	var extra []string
	for _, a := range probes {
		_, ok7 := c7.Match(a)
		_, ok8 := c8.Match(a)
		if ok7 && !ok8 {
			extra = append(extra, a)
		}
	}
	if pfx, ok := mappedIPv4Range(t); ok {
		h := fmt.Sprintf("'%s' is an IPv4-mapped range with an IPv4-sized prefix: proxy-addr 2.0.8 matches nothing with it (write '%s')", t, pfx)
		if len(extra) > 0 && p.mayCarryProxyAddr207() {
			h += fmt.Sprintf(", and 2.0.7, which %s lockfiles may still resolve, matches every IPv4 address, %s included (GHSA-jqcg-44mw-7w3h)", p.frameworkName(), SpoofedAddr)
		}
		return h
	}
	if len(extra) > 0 && p.mayCarryProxyAddr207() {
		return fmt.Sprintf("on proxy-addr 2.0.7, which %s lockfiles may still resolve, '%s' also matches %s (GHSA-jqcg-44mw-7w3h)", p.frameworkName(), t, andList(extra))
	}
	return ""
}

// mayCarryProxyAddr207 reports whether the app's framework version allows
// proxy-addr 2.0.7: Express 4 (~2.0.7) and 5.0–5.2 (^2.0.7), Fastify 4.
// Express 5.3.0 requires ^2.0.8; Fastify 5 uses its own fork.
func (p *Pass) mayCarryProxyAddr207() bool {
	v := p.App.Spec.FrameworkVersion
	major, minor, _ := strings.Cut(v, ".")
	minor, _, _ = strings.Cut(minor, ".")
	switch strings.ToLower(p.App.Spec.Framework) {
	case "", "express":
		if major != "5" || minor == "" {
			return true
		}
		m := 0
		fmt.Sscan(minor, &m)
		return m < 3
	case "fastify":
		return major == "4"
	}
	return false
}

func (p *Pass) frameworkName() string {
	fw := p.App.Spec.Framework
	if fw == "" {
		fw = "express"
	}
	name := strings.ToUpper(fw[:1]) + fw[1:]
	if v := p.App.Spec.FrameworkVersion; v != "" {
		name += " " + v
	}
	return name
}

// fixFor picks the corrected value when it works on every path through
// nginx, else the value computed from the topology; upgrade adds the
// lockfile step a corrected value needs to mean the same everywhere.
func (p *Pass) fixFor(corrected any, upgrade bool) SuggestedFix {
	suggested := p.suggestedTrust()
	switch {
	case corrected != nil && (p.trustFits(corrected) || suggested == nil):
		fix := p.SetTrust(jsLiteral(corrected))
		if _, ok := corrected.(int); ok {
			fix += " (a number: convert environment variables with Number())"
		}
		if upgrade {
			fix += ", and run `npm update proxy-addr` so the lockfile resolves 2.0.8"
		}
		return Fix(fix, p.trustEdits(corrected)...)
	case suggested != nil:
		return Fix(p.SetTrust(jsLiteral(suggested)), p.trustEdits(suggested)...)
	}
	return Fix("pass a number of hops, true, or addresses, CIDR ranges (/1 or longer) and the names loopback, linklocal, uniquelocal")
}

// refusedTrustFix is, outside Node, the framework's own advice for the
// proxies the paths cross, written from the app as described without the
// refused trust setting (or middleware).
func (p *Pass) refusedTrustFix() SuggestedFix {
	generic := "write the setting in the form the framework documents (see the error)"
	app := p.App.Spec.EvaluatorApp()
	app.TrustProxy, app.TrustProxySet = nil, false
	ev, err := frameworks.New(app)
	if err != nil {
		app.Middleware = nil
		if ev, err = frameworks.New(app); err != nil {
			return Fix(generic)
		}
	}
	v := p.suggestedTrust()
	if v == nil {
		return Fix(generic)
	}
	if s, ok := ev.Advise(trustmodel.AdviceFor(v, max(1, p.trustViews().most))); ok {
		return Fix("for the proxies in front of the app: " + s.Code)
	}
	return Fix(generic)
}
