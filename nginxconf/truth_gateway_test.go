//go:build linux

package nginxconf_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// gatewayUpstream is the app nginx hands requests to over FastCGI, uwsgi or
// SCGI: it reads the params exactly as nginx sent them (order and repeats
// kept) and records them by the truth=ID query parameter of REQUEST_URI.
// Hand-written readers rather than net/http/fcgi, whose child folds the
// params into a map and so hides repeated ones.
type gatewayUpstream struct {
	addr     string
	protocol string
	mu       sync.Mutex
	got      map[string][][2]string
}

func startGateway(t *testing.T, protocol string) *gatewayUpstream {
	g := &gatewayUpstream{protocol: protocol, got: map[string][][2]string{}}
	g.addr = serveLoopback(t, g.serve)
	return g
}

func (g *gatewayUpstream) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var params [][2]string
	var fcgiID uint16
	var err error
	switch g.protocol {
	case "fastcgi":
		params, fcgiID, err = readFastCGI(r)
	case "uwsgi":
		params, err = readUwsgi(r)
	case "scgi":
		params, err = readSCGI(r)
	}
	if err != nil {
		return
	}
	// Record before answering: nginx only answers the client after this
	// response, so the client's take always finds it.
	defer func() {
		switch g.protocol {
		case "fastcgi":
			_ = writeFastCGI(c, fcgiID)
		case "uwsgi":
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
		case "scgi":
			_, _ = io.WriteString(c, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n")
		}
	}()
	for _, p := range params {
		if p[0] != "REQUEST_URI" {
			continue
		}
		if u, err := url.ParseRequestURI(p[1]); err == nil {
			g.mu.Lock()
			g.got[u.Query().Get("truth")] = params
			g.mu.Unlock()
		}
	}
}

// take returns and forgets the params received for id.
func (g *gatewayUpstream) take(id string) ([][2]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.got[id]
	delete(g.got, id)
	return p, ok
}

// gatewayRequest is what the app reads from params, in the model's terms
// (trustmodel.Gateway): the peer is the last REMOTE_ADDR, TLS the last
// HTTPS (and uwsgi's UWSGI_SCHEME) as the app server tests them, and every
// HTTP_* param a header line.
func gatewayRequest(g *trustmodel.Gateway, params [][2]string) trustmodel.Request {
	var req trustmodel.Request
	https, scheme := "", ""
	for _, p := range params {
		switch {
		case p[0] == "REMOTE_ADDR":
			req.Peer = p[1]
		case p[0] == "HTTPS":
			https = p[1]
		case p[0] == "UWSGI_SCHEME":
			scheme = p[1]
		case strings.HasPrefix(p[0], "HTTP_"):
			req.Headers = append(req.Headers, trustmodel.HeaderLine{Name: trustmodel.CGIHeaderName(p[0][len("HTTP_"):]), Value: p[1]})
		}
	}
	req.TLS = g.Secure(https, scheme, g.Protocol == "uwsgi" && scheme != "")
	return req
}

// FastCGI (fastcgi-spec 1.0): 8-byte record headers; BEGIN_REQUEST, PARAMS
// records until an empty one, STDIN until an empty one; the answer is
// STDOUT records and END_REQUEST.
const (
	fcgiBeginRequest = 1
	fcgiEndRequest   = 3
	fcgiParams       = 4
	fcgiStdin        = 5
	fcgiStdout       = 6
)

func readFastCGI(r *bufio.Reader) ([][2]string, uint16, error) {
	var stream []byte
	var id uint16
	for paramsDone, stdinDone := false, false; !paramsDone || !stdinDone; {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, 0, err
		}
		id = binary.BigEndian.Uint16(h[2:4])
		body := make([]byte, int(binary.BigEndian.Uint16(h[4:6]))+int(h[6]))
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, 0, err
		}
		content := body[:binary.BigEndian.Uint16(h[4:6])]
		switch h[1] {
		case fcgiParams:
			if len(content) == 0 {
				paramsDone = true
			}
			stream = append(stream, content...)
		case fcgiStdin:
			if len(content) == 0 {
				stdinDone = true
			}
		case fcgiBeginRequest:
		default:
			return nil, 0, errors.New("unexpected FastCGI record")
		}
	}
	var params [][2]string
	for len(stream) > 0 {
		var n [2]int
		for i := range n {
			if len(stream) == 0 {
				return nil, 0, errors.New("short FastCGI params")
			}
			if stream[0]&0x80 == 0 {
				n[i], stream = int(stream[0]), stream[1:]
				continue
			}
			if len(stream) < 4 {
				return nil, 0, errors.New("short FastCGI params")
			}
			n[i], stream = int(binary.BigEndian.Uint32(stream[:4])&0x7fffffff), stream[4:]
		}
		if len(stream) < n[0]+n[1] {
			return nil, 0, errors.New("short FastCGI params")
		}
		params = append(params, [2]string{string(stream[:n[0]]), string(stream[n[0] : n[0]+n[1]])})
		stream = stream[n[0]+n[1]:]
	}
	return params, id, nil
}

func writeFastCGI(w io.Writer, id uint16) error {
	out := "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n"
	record := func(typ byte, content []byte) []byte {
		h := []byte{1, typ, byte(id >> 8), byte(id), byte(len(content) >> 8), byte(len(content)), 0, 0}
		return append(h, content...)
	}
	var b []byte
	b = append(b, record(fcgiStdout, []byte(out))...)
	b = append(b, record(fcgiStdout, nil)...)
	b = append(b, record(fcgiEndRequest, make([]byte, 8))...)
	_, err := w.Write(b)
	return err
}

// uwsgi: a 4-byte header (modifier1, little-endian size, modifier2), then
// the vars as little-endian 16-bit length-prefixed key and value.
func readUwsgi(r *bufio.Reader) ([][2]string, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	vars := make([]byte, binary.LittleEndian.Uint16(h[1:3]))
	if _, err := io.ReadFull(r, vars); err != nil {
		return nil, err
	}
	var params [][2]string
	for len(vars) > 0 {
		var kv [2]string
		for i := range kv {
			if len(vars) < 2 {
				return nil, errors.New("short uwsgi vars")
			}
			n := int(binary.LittleEndian.Uint16(vars[:2]))
			if len(vars) < 2+n {
				return nil, errors.New("short uwsgi vars")
			}
			kv[i], vars = string(vars[2:2+n]), vars[2+n:]
		}
		params = append(params, kv)
	}
	return params, nil
}

// SCGI: a netstring ("LEN:" headers ","), the headers NUL-separated
// name/value pairs.
func readSCGI(r *bufio.Reader) ([][2]string, error) {
	lenText, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n := 0
	for _, c := range strings.TrimSuffix(lenText, ":") {
		if c < '0' || c > '9' {
			return nil, errors.New("bad SCGI netstring")
		}
		n = n*10 + int(c-'0')
	}
	body := make([]byte, n+1)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	fields := strings.Split(string(body[:n]), "\x00")
	if len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	if len(fields)%2 != 0 {
		return nil, errors.New("odd SCGI header fields")
	}
	var params [][2]string
	for i := 0; i < len(fields); i += 2 {
		params = append(params, [2]string{fields[i], fields[i+1]})
	}
	return params, nil
}
