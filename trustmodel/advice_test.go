package trustmodel

import "testing"

// TestAdviceResolvesTheClient replays the advised setting: nginx at
// 127.0.0.1 appends the client 203.0.113.7 to a spoofed entry, and the app
// must resolve the client, with the code written in the framework's terms.
func TestAdviceResolvesTheClient(t *testing.T) {
	req := Request{Peer: "127.0.0.1", Headers: Header{
		{Name: "Host", Value: "a.example"},
		{Name: "X-Forwarded-For", Value: "6.6.6.6, 203.0.113.7"},
	}}
	for _, tc := range []struct {
		app  App
		code string
	}{
		{App{Framework: "express", Version: "5", TrustProxy: true, TrustProxySet: true}, "app.set('trust proxy', 'loopback')"},
		{App{Framework: "fastify", Version: "5", TrustProxy: true, TrustProxySet: true}, "fastify({ trustProxy: 'loopback' })"},
		{App{Framework: "koa", Version: "3", TrustProxy: true, TrustProxySet: true}, "app.proxy = true; app.maxIpsCount = 1"},
		{App{Framework: "proxy-addr", TrustProxy: "0.0.0.0/1", TrustProxySet: true}, "proxyaddr.compile('loopback')"},
	} {
		ev, err := NewEvaluator(tc.app)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := ev.Advise(Advice{Proxies: []string{"127.0.0.1"}, Hops: 1})
		if !ok || s.Code != tc.code {
			t.Errorf("%s: advice %q, %v; want %q", tc.app.Framework, s.Code, ok, tc.code)
			continue
		}
		fixed, err := NewEvaluator(s.App)
		if err != nil {
			t.Fatalf("%s: advised setting rejected: %v", tc.app.Framework, err)
		}
		if r := fixed.Evaluate(req); r.IP == nil || *r.IP != "203.0.113.7" {
			t.Errorf("%s: advised setting resolves %v, want 203.0.113.7", tc.app.Framework, r.IP)
		}
	}
}

func TestAdviceExpressList(t *testing.T) {
	ev, _ := NewEvaluator(App{Framework: "express", Version: "4"})
	s, _ := ev.Advise(Advice{Proxies: []string{"127.0.0.1", "10.0.0.0/16"}, Hops: 2})
	if want := "app.set('trust proxy', ['loopback', '10.0.0.0/16'])"; s.Code != want {
		t.Errorf("got %q, want %q", s.Code, want)
	}
	s, _ = ev.Advise(Advice{})
	if want := "app.set('trust proxy', false)"; s.Code != want {
		t.Errorf("got %q, want %q", s.Code, want)
	}
}
