package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"trustcheck.example/goweb-gen/apps"
)

// realSockets is one app on real listeners: TCP on 127.0.0.1 and [::1] and
// a UNIX socket, each plain and TLS.
type realSockets struct {
	addrs map[string]string // "tcp4", "tcp6", "unix" (+ "+tls") → address
}

// crosschecker sends the cases whose peer a real socket can have
// (127.0.0.1, ::1, a UNIX socket) through real sockets, and compares the
// answers with the pipe harness's.
type crosschecker struct {
	dir  string
	apps map[string]*realSockets
	n    int
}

func newCrosschecker() (*crosschecker, error) {
	dir, err := os.MkdirTemp("", "goweb-crosscheck")
	if err != nil {
		return nil, err
	}
	return &crosschecker{dir: dir, apps: map[string]*realSockets{}}, nil
}

func (x *crosschecker) close() { _ = os.RemoveAll(x.dir) }

func (x *crosschecker) sockets(c Case) (*realSockets, error) {
	cfg := apps.Config{Framework: c.Framework, Version: c.Version, TrustProxy: c.TrustProxy, Options: jsonValue(c.Options), Middleware: jsonValue(c.Middleware)}
	if s, ok := x.apps[cfg.Key()]; ok {
		return s, nil
	}
	h, err := apps.New(cfg)
	if err != nil {
		return nil, err
	}
	s := &realSockets{addrs: map[string]string{}}
	for _, l := range []struct{ name, network, addr string }{
		{"tcp4", "tcp", "127.0.0.1:0"}, {"tcp6", "tcp", "[::1]:0"},
		{"unix", "unix", filepath.Join(x.dir, fmt.Sprintf("%d.sock", len(x.apps)))},
	} {
		for _, useTLS := range []bool{false, true} {
			addr := l.addr
			if l.network == "unix" && useTLS {
				addr += ".tls"
			}
			ln, err := net.Listen(l.network, addr)
			if err != nil {
				return nil, err
			}
			name := l.name
			if useTLS {
				ln, name = tls.NewListener(ln, tlsConfig), name+"+tls"
			}
			s.addrs[name] = ln.Addr().String()
			go func() { _ = (&http.Server{Handler: h}).Serve(ln) }()
		}
	}
	x.apps[cfg.Key()] = s
	return s, nil
}

// check returns "" when the real socket agrees (or the case's peer cannot
// be had from a real socket here), else the difference.
func (x *crosschecker) check(c Case, want json.RawMessage) (string, error) {
	var name, network string
	switch {
	case c.Peer == nil:
		name, network = "unix", "unix"
	case *c.Peer == "127.0.0.1":
		name, network = "tcp4", "tcp"
	case *c.Peer == "::1":
		name, network = "tcp6", "tcp"
	default:
		return "", nil
	}
	if bytes.Contains(want, []byte(`"error"`)) {
		return "", nil
	}
	s, err := x.sockets(c)
	if err != nil {
		return "", err
	}
	if c.TLS {
		name += "+tls"
	}
	conn, err := net.DialTimeout(network, s.addrs[name], 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var rw io.ReadWriter = conn
	if c.TLS {
		rw = tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
	}
	if _, err := io.WriteString(rw, rawRequest(c.Headers)); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(rw), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	x.n++
	got := strings.TrimSpace(string(body))
	if got != string(want) {
		return fmt.Sprintf("real socket %s answered %s, the pipe harness %s", name, got, want), nil
	}
	return "", nil
}
