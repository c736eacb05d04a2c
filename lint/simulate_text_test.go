package lint

import (
	"bytes"
	"testing"

	"github.com/trustcheck/trustcheck/trustmodel"
)

func TestSimulationTextNamesGoAccessors(t *testing.T) {
	app := trustmodel.App{Framework: "gin", TrustProxy: []any{"127.0.0.1"}, TrustProxySet: true}
	req := trustmodel.Request{Peer: "127.0.0.1", Headers: trustmodel.Header{
		{Name: "X-Forwarded-For", Value: "6.6.6.6, 9.9.9.9"}, {Name: "Host", Value: "a.example:8080"},
	}}
	_, r, ev := Simulate(app, req)
	var b bytes.Buffer
	WriteSimulation(&b, ev, req, r)
	want := `gin 1.12, trust: SetTrustedProxies: 127.0.0.1/32
request from 127.0.0.1 over http
  X-Forwarded-For: 6.6.6.6, 9.9.9.9
  Host: a.example:8080

addresses the framework looked at (hop 0 is the peer that connected; hop N the Nth entry from the right):
  hop 0  127.0.0.1  trusted    in trusted proxy 127.0.0.1/32
  hop 1  9.9.9.9    untrusted  in no trusted proxy range

c.ClientIP()                  = 9.9.9.9
c.Request.Host                = a.example:8080
c.Request.Host (without port) = a.example
(gin has no scheme accessor: protocol and secure are null)
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
