package lint

import (
	"slices"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// bySeverityOfUse sets each finding's severity by what the app relies on
// (SPEC §3 `uses`): a property the app uses keeps its rule's severity, or
// rises to error for a host or protocol finding; one it does not use drops
// to info. Without `uses`, the catalog's severities hold, host-only
// findings at warning.
func bySeverityOfUse(fs []rules.Finding, spec *trustmodel.AppSpec) []rules.Finding {
	for i := range fs {
		rule := rules.ByID(fs[i].Rule)
		if rule == nil || rule.Property == "" {
			continue
		}
		switch {
		case !spec.UsesSet:
			if rule.Property == rules.PropHostname {
				fs[i].Severity = min(fs[i].Severity, rules.Warning)
			}
		case slices.Contains(spec.Uses, rule.Property):
			if rule.Property != rules.PropClientIP {
				fs[i].Severity = rules.Error
			}
		default:
			fs[i].Severity = rules.Info
		}
	}
	return fs
}
