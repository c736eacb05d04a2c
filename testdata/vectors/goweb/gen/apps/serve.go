package apps

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// Main is an e2e server's whole main: one app of framework, configured
// from flags, on a real socket. It prints "ready" once listening.
//
//	ginserver [-version V] -listen ADDR[,ADDR...] [-trust JSON] [-options JSON] [-middleware JSON]
//
// Each ADDR is host:port, [v6]:port, :port or unix:PATH. -trust, -options
// and -middleware are the simulate --batch fields as JSON (-trust empty or
// "<absent>": not set, as testdata/e2e/app.js takes it). -version refuses
// to start unless the built framework is that version ("1.12" matches
// 1.12.0). Every answer is {"ip","ips","protocol","secure","host","hostname"}.
func Main(framework string) {
	fs := flag.NewFlagSet(framework+"server", flag.ExitOnError)
	version := fs.String("version", "", "the framework version the caller expects (empty: any)")
	listen := fs.String("listen", "127.0.0.1:0", "host:port, [v6]:port, :port or unix:PATH, comma-separated")
	trust := fs.String("trust", "", "trust_proxy as JSON (empty: not set)")
	options := fs.String("options", "", "options as JSON")
	middleware := fs.String("middleware", "", "middleware as JSON")
	_ = fs.Parse(os.Args[1:])
	cfg := Config{Framework: framework, Version: Versions[framework]}
	if v := *version; v != "" && v != cfg.Version && !strings.HasPrefix(cfg.Version, v+".") {
		fail("built with %s %s, not %s", framework, cfg.Version, v)
	}
	if *trust != "" && *trust != "<absent>" {
		cfg.TrustProxy = json.RawMessage(*trust)
	}
	for _, f := range []struct {
		flag, text string
		to         any
	}{{"options", *options, &cfg.Options}, {"middleware", *middleware, &cfg.Middleware}} {
		if f.text != "" {
			if err := json.Unmarshal([]byte(f.text), f.to); err != nil {
				fail("-%s: %v", f.flag, err)
			}
		}
	}
	h, err := New(cfg)
	if err != nil {
		fail("%v", err)
	}
	var listeners []net.Listener
	for _, address := range strings.Split(*listen, ",") {
		network := "tcp"
		if p, ok := strings.CutPrefix(address, "unix:"); ok {
			network, address = "unix", p
			_ = os.Remove(p)
		}
		l, err := net.Listen(network, address)
		if err != nil {
			fail("%v", err)
		}
		listeners = append(listeners, l)
	}
	fmt.Println("ready")
	srv := &http.Server{Handler: h}
	for _, l := range listeners[1:] {
		go func() { fail("%v", srv.Serve(l)) }()
	}
	fail("%v", srv.Serve(listeners[0]))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "server: "+format+"\n", args...)
	os.Exit(2)
}
