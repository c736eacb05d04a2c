package lint

import (
	"bytes"
	"strings"
	"testing"
)

func TestSimulatePythonFlags(t *testing.T) {
	for _, c := range []struct {
		o    SimulateOptions
		want string
	}{
		{SimulateOptions{Framework: "flask", Version: "2", Middleware: []string{"{name: proxy_fix, x_for: 1, x_proto: 1}"},
			Server: `{name: gunicorn, version: "20.1"}`, Peer: "127.0.0.1", Format: "json",
			Headers: []string{"Host: a.example", "X-Forwarded-For: 6.6.6.6, 203.0.113.5", "X-Forwarded-Proto: https"}},
			`{"ip":"203.0.113.5","ips":null,"protocol":"https","secure":true,"host":"a.example","hostname":"a.example"}`},
		{SimulateOptions{Framework: "django", Version: "3.2", Options: []string{"USE_X_FORWARDED_HOST=true", `ALLOWED_HOSTS=["*"]`},
			Peer: "127.0.0.1", Format: "json", Headers: []string{"Host: a.example", "X-Forwarded-Host: a.example, evil.example"}},
			`{"ip":"127.0.0.1","ips":null,"protocol":"http","secure":false,"host":null,"hostname":null,"raised":{"host":"DisallowedHost","hostname":"DisallowedHost"}}`},
		{SimulateOptions{Framework: "fastapi", Version: "0.26", Server: `{name: uvicorn, version: "0.17", forwarded_allow_ips: "*"}`,
			Peer: "10.0.0.2", Format: "text", Headers: []string{"X-Forwarded-For: 6.6.6.6, 10.0.0.2", "X-Forwarded-Proto: gopher"}},
			"request.client.host                    = 6.6.6.6\nrequest.url.scheme                     = raises KeyError\nrequest.url.scheme in ('https', 'wss') = raises KeyError\n"},
	} {
		var out bytes.Buffer
		if err := RunSimulate(c.o, nil, &out); err != nil {
			t.Fatalf("%s: %v", c.o.Framework, err)
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.o.Framework, out.String(), c.want)
		}
	}
	err := RunSimulate(SimulateOptions{Framework: "flask", Middleware: []string{"{name: proxy_fix, x_four: 1}"}, Peer: "127.0.0.1"}, nil, &bytes.Buffer{})
	want := `flask refuses its configuration: app.middleware proxy_fix: unknown option "x_four" for proxy_fix (known: x_for, x_host, x_port, x_prefix, x_proto)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
