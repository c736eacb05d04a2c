package rules

import (
	"fmt"

	"github.com/trustcheck/trustcheck/trustmodel"
)

var tc304 = &Rule{
	ID:       "TC304",
	Name:     "forwarded-host-raises",
	Severity: Warning,
	Property: PropHostname,
	NeedsApp: true,
	Doc: Doc{
		Title: "The X-Forwarded-Host the app reads makes its host accessor raise: the request fails (Django's DisallowedHost)",
		Rationale: "Some frameworks validate the host they take from X-Forwarded-Host and raise instead of answering: " +
			"Django's `request.get_host()` with `USE_X_FORWARDED_HOST = True` raises DisallowedHost for a value " +
			"outside ALLOWED_HOSTS and for any comma-separated list (it validates the whole header, it does not pick " +
			"an entry); Spring and ASP.NET Core reject malformed hosts the same way. Two cases follow. When nginx " +
			"passes the client's X-Forwarded-Host on, ALLOWED_HOSTS stops the spoofed host (no TC301), but any client " +
			"can still make its requests fail at will: each one is a 400 and an error the app logs (Django's " +
			"`django.security.DisallowedHost` logger, mailed to ADMINS by default), so the header is an easy way to " +
			"flood the error log and alerting, and a cache in front may keep the error page. When the header nginx " +
			"itself sends raises (`$proxy_host`, a list, a name ALLOWED_HOSTS lacks), every honest request fails. " +
			"The rule replays the honest client and a client sending `X-Forwarded-Host: evil.example`, and reports " +
			"when the host accessor raises only because of X-Forwarded-Host.",
		Bad: "# settings.py: USE_X_FORWARDED_HOST = True; ALLOWED_HOSTS = [\"app.example\"]\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:8000;\n" +
			"    proxy_set_header Host $host;\n" +
			"}",
		Good: "# settings.py: USE_X_FORWARDED_HOST = True; ALLOWED_HOSTS = [\"app.example\"]\n" +
			"location / {\n" +
			"    proxy_pass http://127.0.0.1:8000;\n" +
			"    proxy_set_header Host $host;\n" +
			"    proxy_set_header X-Forwarded-Host $host;\n" +
			"}",
		Fix: "Make nginx send one host the app accepts: `proxy_set_header X-Forwarded-Host $host;` in every proxying " +
			"location (with unknown hosts refused by a default server), or stop reading the header when nginx " +
			"already forwards Host (`USE_X_FORWARDED_HOST = False`).",
		References: []string{
			"https://docs.djangoproject.com/en/5.2/ref/settings/#use-x-forwarded-host",
			"https://docs.djangoproject.com/en/5.2/ref/request-response/#django.http.HttpRequest.get_host",
			"https://docs.djangoproject.com/en/5.2/topics/logging/#django-security",
		},
	},
	Check: checkTC304,
}

func checkTC304(p *Pass) {
	if !p.ownSyntax() {
		return // Node's host accessors never raise: spare a fleet the replays
	}
	for _, path := range p.Paths {
		if path.NginxHop() == nil {
			continue // a client reaching the app directly: TC106
		}
		site := nginxSite(path, "X-Forwarded-Host")
		related := []trustmodel.Pos{path.Proxy.Pos}
		if h := path.Honest(); p.raisesOnForwardedHost(h) {
			value, _ := appValue(h, "X-Forwarded-Host")
			p.Report(Finding{
				Severity:  Error,
				Pos:       site.Pos,
				Directive: site.Directive,
				Message: fmt.Sprintf("the X-Forwarded-Host nginx sends (%q) makes %s raise %s: every request fails",
					value, p.Prop("host"), h.Result.Raised["host"]),
				Path:     path.Entry,
				Attack:   fmt.Sprintf("every client%s requesting %s makes %s raise %s", admittedFrom(path), path.URL, p.Prop("host"), h.Result.Raised["host"]),
				Honest:   true,
				Fix:      suffixFix(setHeaderFix(path, site, "X-Forwarded-Host", "$host"), " (a single host the app accepts)"),
				Related:  related,
				CausedBy: droppedBy(path.Proxy, "X-Forwarded-Host"),
			})
			continue
		}
		if !p.headerMatters(path, "X-Forwarded-Host", SpoofedHost) {
			continue
		}
		r, ok := path.HostileFor("X-Forwarded-Host")
		if !ok || !p.raisesOnForwardedHost(r) {
			continue
		}
		what, shadowed := forwardedHostSource(path, site, "")
		related = append(related, shadowed...)
		p.Report(Finding{
			Pos:       site.Pos,
			Directive: site.Directive,
			Message: fmt.Sprintf("%s and %s raises %s on a host it does not accept: any client can make its requests fail, each one an error the app logs",
				what, p.Prop("host"), r.Result.Raised["host"]),
			Path:     path.Entry,
			Attack:   fmt.Sprintf("a client%s sending %q to %s makes %s raise %s", admittedFrom(path), r.Inject+": "+r.Value, path.URL, p.Prop("host"), r.Result.Raised["host"]),
			Fix:      setHeaderFix(path, site, "X-Forwarded-Host", "$host"),
			Related:  related,
			CausedBy: droppedBy(path.Proxy, "X-Forwarded-Host"),
		})
	}
}

// raisesOnForwardedHost reports whether the app's host accessor raises on
// the replay because of X-Forwarded-Host: it does, and the same request
// without that header does not (a Host the app rejects is its own matter).
func (p *Pass) raisesOnForwardedHost(r Replay) bool {
	if r.Result.Raised["host"] == "" || len(r.AtApp.Headers.Lines("X-Forwarded-Host")) == 0 {
		return false
	}
	without := r.AtApp
	without.Headers = without.Headers.Without("X-Forwarded-Host")
	return p.App.Evaluator.Evaluate(without).Raised["host"] == ""
}
