package lint

import (
	"slices"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// severityOfUse sets a finding's severity by what the app relies on
// (SPEC §3 `uses`): a property the app uses keeps its rule's severity, or
// rises to error for a host or protocol finding; one it does not use drops
// to info. Without `uses`, the catalog's severities hold, host-only
// findings at warning.
func severityOfUse(f *rules.Finding, spec *trustmodel.AppSpec) {
	rule := rules.ByID(f.Rule)
	if rule == nil || rule.Property == "" {
		return
	}
	switch {
	case !spec.UsesSet:
		if rule.Property == rules.PropHostname {
			f.Severity = min(f.Severity, rules.Warning)
		}
	case slices.Contains(spec.Uses, rule.Property):
		if rule.Property != rules.PropClientIP {
			f.Severity = rules.Error
		}
	default:
		f.Severity = rules.Info
	}
}
