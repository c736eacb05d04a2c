package lint

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustcheck/trustcheck/rules"
)

// WriteRules lists the catalog: ID, severity, name and title.
func WriteRules(w io.Writer) error {
	var b strings.Builder
	for _, r := range rules.All() {
		fmt.Fprintf(&b, "%s  %-7s  %-30s %s\n", r.ID, r.Severity, r.Name, r.Doc.Title)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteExplain writes one rule's full documentation.
func WriteExplain(w io.Writer, id string) error {
	r := findRule(id)
	if r == nil {
		return fmt.Errorf("unknown rule %q (see trustcheck rules)", id)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)\n%s\n\n%s\n\nBad:\n%s\n\nGood:\n%s\n\nFix: %s\n",
		r.ID, r.Name, r.Severity, r.Doc.Title, r.Doc.Rationale, indent(r.Doc.Bad), indent(r.Doc.Good), r.Doc.Fix)
	if len(r.Doc.References) > 0 {
		b.WriteString("\nReferences:\n")
		for _, ref := range r.Doc.References {
			fmt.Fprintf(&b, "  %s\n", ref)
		}
	}
	if u := severityByUse(r); u != "" {
		fmt.Fprintf(&b, "\nSeverity by use: %s\n", u)
	}
	fmt.Fprintf(&b, "\nSuppress one finding: # trustcheck:ignore %s <reason>\n", r.ID)
	_, err := io.WriteString(w, b.String())
	return err
}

// severityByUse says how the app's `uses` sets the rule's severity
// (severityOfUse), or "" when it does not.
func severityByUse(r *rules.Rule) string {
	switch r.Property {
	case "":
		return ""
	case rules.PropClientIP:
		return fmt.Sprintf("with `uses` in trustcheck.yaml, %s when the app uses `client_ip`, info when it does not.", r.Severity)
	}
	absent := r.Severity.String()
	if r.Property == rules.PropHostname {
		absent = rules.Warning.String()
	}
	return fmt.Sprintf("error when the app lists `%s` under `uses`, info when `uses` leaves it out, %s when `uses` is absent.", r.Property, absent)
}

// findRule is the rule with ID or kebab-case name s (as trustcheck rules
// prints both), in any case; nil if none.
func findRule(s string) *rules.Rule {
	if r := rules.ByID(s); r != nil {
		return r
	}
	for _, r := range rules.All() {
		if strings.EqualFold(r.Name, s) {
			return r
		}
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// RuleMarkdown is a rule's documentation page, docs/rules/ID.md.
func RuleMarkdown(r *rules.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", r.ID, r.Name)
	fmt.Fprintf(&b, "**Default severity:** %s", r.Severity)
	if r.NeedsApp {
		b.WriteString(" · needs the app's trust setting (trustcheck.yaml or `--trust-proxy`)")
	}
	if u := severityByUse(r); u != "" {
		fmt.Fprintf(&b, "\n\n**Severity by use:** %s", u)
	}
	fmt.Fprintf(&b, "\n\n%s\n\n## Why\n\n%s\n\n", r.Doc.Title, r.Doc.Rationale)
	fmt.Fprintf(&b, "## Fires on\n\n```nginx\n%s\n```\n\n## Clean\n\n```nginx\n%s\n```\n\n## Fix\n\n%s\n\n", r.Doc.Bad, r.Doc.Good, r.Doc.Fix)
	fmt.Fprintf(&b, "## Suppress\n\nWith a reason, on the finding's line or the line above:\n\n```nginx\n# trustcheck:ignore %s <reason>\n```\n", r.ID)
	if len(r.Doc.References) > 0 {
		b.WriteString("\n## References\n\n")
		for _, ref := range r.Doc.References {
			fmt.Fprintf(&b, "- <%s>\n", ref)
		}
	}
	b.WriteString("\n<!-- Generated from rules/ by `go test ./lint -run TestRuleDocs -update`; do not edit. -->\n")
	return b.String()
}
