package jvm

import (
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// BenchmarkNativeEvaluate is one lint replay through Boot's default valve:
// the default internal-proxies regex on the peer and two XFF entries.
func BenchmarkNativeEvaluate(b *testing.B) {
	e, err := New(native())
	if err != nil {
		b.Fatal(err)
	}
	r := req("127.0.0.1", false, "Host", "a.example", "X-Forwarded-For", "6.6.6.6, 10.0.0.2", "X-Forwarded-Proto", "https")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Evaluate(r)
	}
}

func BenchmarkFrameworkEvaluate(b *testing.B) {
	e, err := New(framework())
	if err != nil {
		b.Fatal(err)
	}
	r := trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{{Name: "Host", Value: "a.example"}, {Name: "X-Forwarded-For", Value: "6.6.6.6, 10.0.0.2"}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Evaluate(r)
	}
}
