package goweb

import (
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// BenchmarkEvaluate measures one request through each evaluator as lint
// replays it (no explanation), behind nginx with a spoofed entry.
func BenchmarkEvaluate(b *testing.B) {
	r := req("127.0.0.1", false, "X-Forwarded-For: 6.6.6.6, 203.0.113.7", "X-Real-IP: 203.0.113.7", "Host: a.example:8080")
	for _, app := range []trustmodel.App{
		{Framework: "gin", TrustProxy: []any{"127.0.0.1", "10.0.0.0/8"}, TrustProxySet: true},
		{Framework: "echo", Options: map[string]any{"extractor": "x-forwarded-for"}},
		{Framework: "chi", Middleware: []map[string]any{{"name": "real_ip"}}},
		{Framework: "chi", Middleware: []map[string]any{{"name": "client_ip_from_xff", "prefixes": []any{"127.0.0.1/32"}}}},
	} {
		ev, err := New(app)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(ev.Name()+"/"+ev.Trust().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ev.Evaluate(r)
			}
		})
	}
}
