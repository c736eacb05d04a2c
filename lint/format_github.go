package lint

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/trustcheck/trustcheck/rules"
)

// renderGitHub writes one GitHub Actions workflow command per finding, so
// each becomes an annotation on its file and line:
//
//	::error file=F,line=N,title=TC101 trust-all-unstripped::message%0Aattack: ...%0Afix: ...
//
// error, warning and info findings become ::error, ::warning and ::notice.
// Notes follow as ::notice:: lines (none with --quiet). Every value is
// escaped, so no message can end its command or start another.
func renderGitHub(w io.Writer, rep *Report, o Options) error {
	b := bufio.NewWriter(w) // written as it is rendered: a fleet's report is large
	path := memoized(reportPath)
	for _, f := range rep.Findings.All() {
		var props []string
		if f.Pos.File != "" {
			props = append(props, "file="+escapeGitHubProperty(path(f.Pos.File)))
			if f.Pos.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Pos.Line))
			}
		}
		title := f.Rule
		if r := rules.ByID(f.Rule); r != nil {
			title += " " + r.Name
		}
		props = append(props, "title="+escapeGitHubProperty(title))
		fmt.Fprintf(b, "::%s %s::%s\n", githubCommand(f.Severity), strings.Join(props, ","), escapeGitHubData(findingText(f)))
	}
	if !o.Quiet {
		for _, n := range rep.Notes {
			fmt.Fprintf(b, "::notice::%s\n", escapeGitHubData(n))
		}
	}
	return b.Flush()
}

// githubCommand is the workflow command for a severity.
func githubCommand(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Info:
		return "notice"
	}
	return "warning"
}

// escapeGitHubData escapes a workflow command's message (% first, so the
// escapes themselves survive).
var escapeGitHubData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace

// escapeGitHubProperty escapes a workflow command's property value, where
// ':' would end the properties and ',' would start the next one.
var escapeGitHubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace
