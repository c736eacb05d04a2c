package lint

import (
	"fmt"
	"io"
)

// runPathsDiagram writes `trustcheck paths --format mermaid|dot`: the paths
// of pr, each finding of a lint run marked on the hop that causes it.
func runPathsDiagram(o Options, pr *prepared, stdout, stderr io.Writer) error {
	rep, err := Lint(o)
	if err != nil {
		return err
	}
	views := pathViews(pr, rep.Findings.Slice())
	if o.Format == "dot" {
		err = writePathsDOT(stdout, views)
	} else {
		err = writePathsMermaid(stdout, views)
	}
	if err != nil {
		return err
	}
	if !o.Quiet {
		for _, n := range pathsNotes(pr) {
			fmt.Fprintf(stderr, "note: %s\n", n)
		}
	}
	return nil
}
