package dotnet

import (
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// BenchmarkEvaluate is one lint replay with For|Proto and the default known lists.
func BenchmarkEvaluate(b *testing.B) {
	e, err := New(trustmodel.App{Framework: "aspnetcore", Version: "10", Options: map[string]any{"ForwardedHeaders": "XForwardedFor, XForwardedProto"}})
	if err != nil {
		b.Fatal(err)
	}
	r := trustmodel.Request{Peer: "::ffff:127.0.0.1", Headers: trustmodel.Header{{Name: "Host", Value: "a.example"}, {Name: "X-Forwarded-For", Value: "6.6.6.6, 10.0.0.2"}, {Name: "X-Forwarded-Proto", Value: "https"}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Evaluate(r)
	}
}
