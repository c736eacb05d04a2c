package lint

import (
	"io"
	"path/filepath"
	"testing"
)

// BenchmarkReportFleet lints a 1,000-server fleet and renders it as JSON,
// as the HTML report and as annotations plus the job summary, side by
// side: the pictures' cost is the difference.
func BenchmarkReportFleet(b *testing.B) {
	conf := writeFleet(b, 1000)
	for _, c := range []struct{ name, format, summary string }{
		{"json", "json", ""},
		{"html", "html", ""},
		{"github+summary", "github", filepath.Join(b.TempDir(), "summary.md")},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := Options{Inputs: []string{conf}, WorkDir: filepath.Dir(conf), Format: c.format, Summary: c.summary}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(o, io.Discard, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
