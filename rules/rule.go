// Package rules holds trustcheck's rule catalog: one file per rule, each
// with its documentation as data, registered in one explicit list.
package rules

import (
	"fmt"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// Severity orders findings; --fail-on compares against it.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads info, warning or error.
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "info":
		return Info, nil
	case "warning":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Finding is one problem at one place. Formatters render findings; they
// never compute anything from them.
type Finding struct {
	Rule     string
	Severity Severity
	Pos      trustmodel.Pos
	// Directive is the offending configuration text, as written.
	Directive string
	Message   string
	// Path names the request path the finding was observed on, if any
	// ("client -> nginx :443 location /api -> app").
	Path string
	// Attack is the concrete request and what the app ends up with; with
	// Honest, it is what every honest client gets, no attack needed.
	Attack string
	Honest bool
	// Fix is the fix as data: its message and the edits that carry it out.
	Fix SuggestedFix
	// Related are other places involved: the locations a shared snippet
	// affects, the directive that was dropped, the trust setting.
	Related []trustmodel.Pos
	// CausedBy is where the root cause is when this finding is a
	// consequence of another: the proxy_set_header whose list dropped the
	// header this finding is about (TC401). Lint shows it under that
	// finding, in Consequences, when that finding is reported.
	CausedBy     trustmodel.Pos
	Consequences []Finding
	// App names the app whose trust the finding judges when several are
	// described (trustcheck.yaml apps), or "another service" for a target
	// no app claims; "" with one app.
	App string
}

// AttackLabel names what Attack shows: "attack", or "result" for what every
// honest client gets.
func (f *Finding) AttackLabel() string {
	if f.Honest {
		return "result"
	}
	return "attack"
}

// Doc is a rule's documentation; `explain`, `rules` and docs/rules come from it.
type Doc struct {
	Title      string // one line
	Rationale  string // why it matters, in prose
	Bad        string // a configuration that fires
	Good       string // the same configuration fixed
	Fix        string // what to do
	References []string
}

// The properties an app relies on (trustcheck.yaml `uses`).
const (
	PropClientIP = "client_ip"
	PropProtocol = "protocol"
	PropHostname = "hostname"
)

// Rule is one check.
type Rule struct {
	ID       string // TCnnn: the contract, never reused
	Name     string // kebab-case
	Severity Severity
	// Property is what the app gets wrong when the rule fires: its
	// findings follow the app's `uses` (lint's severityOfUse). "" for
	// rules whose severity does not depend on use.
	Property string
	Doc      Doc
	// NeedsApp rules compare nginx with the app's trust setting; lint skips
	// them, and says so, when the setting is unknown.
	NeedsApp bool
	// Check runs on every part of the configuration lint hands the pass.
	Check func(*Pass)
	// Finish, when set, runs once after the last part: what a rule can
	// only judge from the whole configuration (a trust value against
	// every path, one finding naming every place) it gathers in Check and
	// reports here.
	Finish func(*Pass)
}

// DocsURL is where a rule's documentation lives.
func (r *Rule) DocsURL() string {
	return "https://github.com/trustcheck/trustcheck/blob/main/docs/rules/" + r.ID + ".md"
}

// ByID returns the registered rule with the ID (case-insensitive).
func ByID(id string) *Rule {
	for _, r := range All() {
		if strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return nil
}
