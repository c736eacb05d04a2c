package trustmodel

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fuzzHangLimit is how long one input may take before it counts as a hang:
// generous, so that a loaded machine does not report one falsely.
const fuzzHangLimit = 5 * time.Second

// noHang runs f and fails the input if it does not return within
// fuzzHangLimit (Go's fuzzer has no per-input timeout of its own).
func noHang(t *testing.T, input any, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(fuzzHangLimit):
		s := []rune(strings.ToValidUTF8(fmtAny(input), "?"))
		if len(s) > 300 {
			s = append(s[:300], []rune("...")...)
		}
		t.Fatalf("no result after %v for input %s", fuzzHangLimit, string(s))
	}
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzParseConfig: any bytes as trustcheck.yaml either decode or fail with
// one line that names the file; never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"",
		"version: 1\napp:\n  framework: express\n  framework_version: \"5\"\n  trust_proxy: true\n  listen: 127.0.0.1:3000\n  session: {cookie_secure: true}\n",
		"app: {framework: fastify, trust_proxy: [loopback, 10.0.0.0/8]}\n",
		"app: {framework: koa, options: {proxyIpHeader: X-Real-IP, maxIpsCount: 1}}\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
		"app:\n  trust_proxy: 10.0.0.0/33\n",
		"app: [1, 2]\n",
		"version: two\n",
		"edge: [{listen: 0.0.0.0:443, trust_forwarded_from: [192.0.2.0/24]}]\n",
		"nginx: {}\n",
		"\t- \x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { noHang(t, string(data), func() { fuzzParseConfig(t, data) }) })
}

func fuzzParseConfig(t *testing.T, data []byte) {
	{
		c, err := ParseConfig("trustcheck.yaml", data)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("multi-line error: %q", msg)
				return
			}
			if !strings.HasPrefix(msg, "trustcheck.yaml") {
				t.Errorf("error does not name the file: %q", msg)
				return
			}
			return
		}
		if c == nil {
			t.Error("nil config without error")
			return
		}
		for _, a := range c.Apps {
			if ev, err := NewEvaluator(a.EvaluatorApp()); err == nil {
				_ = ev.Evaluate(fuzzRequest)
			}
		}
	}
}

var fuzzRequest = Request{
	Peer: "127.0.0.1",
	Headers: Header{
		{Name: "X-Forwarded-For", Value: "203.0.113.7, 10.0.0.1"},
		{Name: "X-Forwarded-Proto", Value: "https"},
		{Name: "X-Forwarded-Host", Value: "evil.example"},
		{Name: "Forwarded", Value: `for=198.51.100.1;proto=https`},
	},
}

// FuzzCompileTrust: any JSON value as the app's trust setting compiles or
// fails cleanly in every framework, and a compiled evaluator evaluates.
func FuzzCompileTrust(f *testing.F) {
	for _, s := range []string{
		`true`, `false`, `1`, `0`, `-1`, `1.5`, `1e309`, `"1"`, `"loopback"`,
		`"loopback, linklocal, uniquelocal"`, `["10.0.0.0/8", "::1/128"]`,
		`"10.0.0.0/33"`, `"::ffff:127.0.0.1/104"`, `"fe80::1%eth0"`, `null`,
		`{}`, `[]`, `[[["x"]]]`, `"0.0.0.0/0,::/0"`, `"127.0.0.1/255.0.0.0"`,
	} {
		f.Add([]byte(s), uint8(0), "")
	}
	f.Add([]byte(`2`), uint8(1), "4")
	f.Add([]byte(`"a,b"`), uint8(2), "2")
	f.Add([]byte(`["loopback"]`), uint8(3), "2.0.7")
	f.Fuzz(func(t *testing.T, data []byte, fw uint8, version string) {
		noHang(t, []any{string(data), fw, version}, func() { fuzzCompileTrust(t, data, fw, version) })
	})
}

var fuzzFrameworks = []string{"express", "fastify", "koa", "proxy-addr"}

func fuzzCompileTrust(t *testing.T, data []byte, fw uint8, version string) {
	{
		frameworks := fuzzFrameworks
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		if tr, err := CompileExpressTrust(v); err == nil && tr == nil {
			t.Error("nil trust without error")
			return
		}
		app := App{Framework: frameworks[int(fw)%len(frameworks)], Version: version, TrustProxy: v, TrustProxySet: true}
		// The error is the framework's own message, which keeps the value's
		// newlines as JavaScript does; the CLI prints it on one line.
		ev, err := NewEvaluator(app)
		if err != nil {
			return
		}
		_ = ev.Evaluate(fuzzRequest)
		_ = ev.Trust()
		_ = ev.Name()
	}
}
