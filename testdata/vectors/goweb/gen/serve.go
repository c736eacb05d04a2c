package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"

	"trustcheck.example/goweb-gen/apps"
)

// addr is a connection end's address as the kernel reports it through Go.
type addr struct{ network, text string }

func (a addr) Network() string { return a.network }
func (a addr) String() string  { return a.text }

// conn is the server end of a pipe with the addresses of a real socket.
type conn struct {
	net.Conn
	local, remote net.Addr
}

func (c conn) LocalAddr() net.Addr  { return c.local }
func (c conn) RemoteAddr() net.Addr { return c.remote }

// listener hands net/http's real server one connection per case.
type listener struct{ conns chan net.Conn }

func (l listener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l listener) Close() error   { return nil }
func (l listener) Addr() net.Addr { return addr{"tcp", "127.0.0.1:8080"} }

// peerPort is the port every TCP peer connects from: not part of the model.
const peerPort = "40000"

// server is one app behind net/http's own http.Server.
type server struct{ l listener }

func newServer(h http.Handler) *server {
	s := &server{l: listener{conns: make(chan net.Conn)}}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(s.l) }()
	return s
}

var tlsConfig = func() *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"a.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}()

// rawRequest is the request's bytes on the wire: HTTP/1.1 with a Host
// line, HTTP/1.0 without one (net/http refuses HTTP/1.1 without Host).
func rawRequest(headers [][2]string) string {
	var b strings.Builder
	proto := "HTTP/1.0"
	for _, h := range headers {
		if strings.EqualFold(h[0], "Host") {
			proto = "HTTP/1.1"
		}
	}
	b.WriteString("GET / " + proto + "\r\n")
	for _, h := range headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// do sends one request from peer (nil: over a UNIX socket) and returns the
// app's answer.
func (s *server) do(peer *string, useTLS bool, headers [][2]string) (json.RawMessage, error) {
	client, srvEnd := net.Pipe()
	c := conn{Conn: srvEnd, local: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}}
	if peer == nil {
		// A UNIX socket's accepted connection: RemoteAddr "@", and the
		// listener's own address in http.LocalAddrContextKey.
		c.local = &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}
		c.remote = addr{"unix", "@"}
	} else {
		c.remote = addr{"tcp", net.JoinHostPort(*peer, peerPort)}
	}
	var cc net.Conn = client
	if useTLS {
		s.l.conns <- tls.Server(c, tlsConfig)
		cc = tls.Client(client, &tls.Config{InsecureSkipVerify: true})
	} else {
		s.l.conns <- c
	}
	// Closing the pipe itself: a TLS close_notify would wait for a reader.
	defer client.Close()
	_ = cc.SetDeadline(time.Now().Add(10 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(cc, rawRequest(headers))
		errc <- err
	}()
	resp, err := http.ReadResponse(bufio.NewReader(cc), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return json.RawMessage(strings.TrimSpace(string(body))), nil
}

// servers caches one server per app configuration.
type servers map[string]*server

// eval runs one case; the answer, or the framework's own error line.
func (ss servers) eval(c Case) (json.RawMessage, error) {
	cfg := apps.Config{Framework: c.Framework, Version: c.Version, TrustProxy: c.TrustProxy, Options: jsonValue(c.Options), Middleware: jsonValue(c.Middleware)}
	key := cfg.Key()
	s, ok := ss[key]
	if !ok {
		h, err := apps.New(cfg)
		if err != nil {
			if _, bad := err.(*apps.ConfigError); bad {
				return nil, err
			}
			b, _ := marshal(map[string]string{"error": err.Error()})
			return bytes.TrimSpace(b), nil
		}
		s = newServer(h)
		ss[key] = s
	}
	return s.do(c.Peer, c.TLS, c.Headers)
}

// jsonValue is options or middleware as JSON decodes them ([]any, not []string), the
// form the apps read, as simulate --batch does.
func jsonValue[T any](v T) T {
	var out T
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &out)
	return out
}
