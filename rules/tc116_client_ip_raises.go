package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc116 = &Rule{
	ID:       "TC116",
	Name:     "client-ip-raises",
	Severity: Warning,
	Property: PropClientIP,
	NeedsApp: true,
	Doc: Doc{
		Title: "A header the client sends makes the app's client-address accessor raise (Rails' IpSpoofAttackError)",
		Rationale: "Some frameworks refuse to answer when address headers disagree: Rails' `request.remote_ip` raises " +
			"IpSpoofAttackError when a Client-IP header names an address X-Forwarded-For does not contain " +
			"(`config.action_dispatch.ip_spoofing_check`, on by default), and the request ends in a 403 with an " +
			"\"IP spoofing attack?!\" error in the log. nginx forwards every header it does not set, so any client " +
			"that adds `Client-IP: 6.6.6.6` makes its requests fail at will — a cheap way to flood the error log and " +
			"the alerting built on it — and where a hop in front sets such a header differently from the " +
			"X-Forwarded-For nginx sends, every request fails. The rule replays the honest client and clients " +
			"sending Client-IP and the other address headers (Forwarded is TC303's), and reports when the accessor " +
			"raises only because of them.",
		Bad: "# Rails, config.action_dispatch.ip_spoofing_check = true (the default)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"}",
		Good: "# Rails, config.action_dispatch.ip_spoofing_check = true (the default)\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:3000;\n" +
			"    proxy_set_header X-Forwarded-For $remote_addr;\n" +
			"    proxy_set_header Client-IP \"\";\n" +
			"}",
		Fix: "Clear the header in nginx (`proxy_set_header Client-IP \"\";`) wherever it proxies to the app, so only " +
			"the X-Forwarded-For nginx sets reaches it.",
		References: []string{
			"https://guides.rubyonrails.org/configuring.html#config-action-dispatch-ip-spoofing-check",
			"https://api.rubyonrails.org/classes/ActionDispatch/RemoteIp.html",
		},
	},
	Check: checkTC116,
}

// raisingHeaders are the headers whose client value may make the address
// accessor raise: the address headers (Forwarded is TC303's, X-Forwarded-For
// the trust rules').
var raisingHeaders = frameworkAddressHeaders

func checkTC116(p *Pass) {
	if !p.ownSyntax() || p.ownClientIP() {
		return
	}
	for _, path := range p.nginxPaths() {
		if h := path.Honest(); h.Result.Raised["ip"] != "" {
			if !p.raisesOnAddressHeaders(h.AtApp) {
				continue
			}
			p.Report(Finding{
				Severity:  Error,
				Pos:       path.Proxy.Pos,
				Directive: path.Proxy.Directive.String(),
				Message:   fmt.Sprintf("the address headers that reach the app disagree and %s raises %s: every request fails", p.Prop("ip"), h.Result.Raised["ip"]),
				Path:      path.Entry,
				Attack:    fmt.Sprintf("every client%s requesting %s makes %s raise %s", admittedFrom(path), path.URL, p.Prop("ip"), h.Result.Raised["ip"]),
				Honest:    true,
				Fix:       prefixFix("make nginx send one account of the client: ", clearHeadersFix(path, raisingHeaders)),
				Related:   []trustmodel.Pos{path.Proxy.Pos},
			})
			continue
		}
		for _, hdr := range raisingHeaders {
			if !p.headerMatters(path, hdr, SpoofedAddr) {
				continue
			}
			r := p.replayAdding(path, hdr, SpoofedAddr)
			if r.Result.Raised["ip"] == "" || !p.raisesOnAddressHeaders(r.AtApp) {
				continue
			}
			site := nginxSite(path, hdr)
			p.Report(Finding{
				Pos:       site.Pos,
				Directive: site.Directive,
				Message: fmt.Sprintf("nginx passes the client's %s and %s raises %s when it disagrees with X-Forwarded-For: any client can make its requests fail, each one an error the app logs",
					hdr, p.Prop("ip"), r.Result.Raised["ip"]),
				Path:    path.Entry,
				Attack:  fmt.Sprintf("a client%s sending %q to %s makes %s raise %s", admittedFrom(path), hdr+": "+SpoofedAddr, path.URL, p.Prop("ip"), r.Result.Raised["ip"]),
				Fix:     setHeaderFix(path, site, hdr, `""`),
				Related: []trustmodel.Pos{path.Proxy.Pos},
			})
			break
		}
	}
}

// raisesOnAddressHeaders reports whether req without the raising headers
// no longer makes the address accessor raise.
func (p *Pass) raisesOnAddressHeaders(req trustmodel.Request) bool {
	for _, h := range raisingHeaders {
		req.Headers = req.Headers.Without(h)
	}
	return p.App.Evaluator.Evaluate(req).Raised["ip"] == ""
}

// clearHeadersFix clears the headers on path's proxy.
func clearHeadersFix(path *Path, headers []string) SuggestedFix {
	var sets []string
	var edits []Edit
	for _, h := range headers {
		if _, ok := path.NginxHop().Rule(h); !ok {
			d := fmt.Sprintf("proxy_set_header %s \"\";", h)
			sets = append(sets, "`"+d+"`")
			edits = append(edits, proxyInsert(path.Proxy, d))
		}
	}
	return Fix(andList(sets)+" next to this proxy_pass", edits...)
}
