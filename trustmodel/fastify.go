package trustmodel

import (
	"fmt"
	"strconv"
	"strings"
)

// fastifyMode is the behaviour of a range of Fastify releases (lib/request.js).
type fastifyMode int

const (
	// fastify4 is 4.29.1: proxy-addr 2.0.8 and forwarded 0.2.0; X-Forwarded-Host
	// (rightmost, port kept in request.hostname) and X-Forwarded-Proto are read
	// from any peer once trustProxy is set; there is no request.host.
	fastify4 fastifyMode = iota
	// fastify5Unchecked is 5.0.0–5.8.2: @fastify/proxy-addr, request.host and
	// hostname split, X-Forwarded-Host/Proto still read from any peer
	// (GHSA-444r-cwp2-x5xf).
	fastify5Unchecked
	// fastify5Checked is 5.8.3–5.12.0: the peer must be trusted before
	// X-Forwarded-Host/Proto are read; hop counts still work.
	fastify5Checked
	// fastify5 is 5.12.1 and later (5.12.8 recorded): a numeric trustProxy trusts nothing.
	fastify5
)

type fastify struct {
	mode    fastifyMode
	version string
	trust   Trust // nil when trustProxy is falsy: no proxy handling at all
	explain bool
}

// fastifyModeFor maps a framework_version to the behaviour it ships:
// "4" and "5" mean the newest release of that major line.
func fastifyModeFor(v string) (fastifyMode, error) {
	switch v {
	case "4":
		return fastify4, nil
	case "", "5":
		return fastify5, nil
	}
	parts := strings.Split(v, ".")
	nums := make([]int, 3)
	for i := range nums {
		if i >= len(parts) {
			break
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil || len(parts) > 3 {
			return 0, errUnsupportedVersion("fastify", v, "4, 5 or an exact 4.x/5.x version")
		}
		nums[i] = n
	}
	switch {
	case nums[0] == 4:
		return fastify4, nil
	case nums[0] != 5:
		return 0, errUnsupportedVersion("fastify", v, "4, 5 or an exact 4.x/5.x version")
	case nums[1] < 8 || nums[1] == 8 && nums[2] <= 2:
		return fastify5Unchecked, nil
	case nums[1] < 12 || nums[1] == 12 && nums[2] == 0:
		return fastify5Checked, nil
	}
	return fastify5, nil
}

// UnsupportedError is a framework or version trustcheck does not model: a
// configuration error, unlike a trust value the framework itself rejects.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return e.Msg }

func errUnsupportedVersion(fw, v, want string) error {
	return &UnsupportedError{fmt.Sprintf("unsupported %s version %q (want %s)", fw, v, want)}
}

func newFastify(app App) (Evaluator, error) {
	mode, err := fastifyModeFor(app.Version)
	if err != nil {
		return nil, err
	}
	f := &fastify{mode: mode, version: app.Version, explain: app.Explain}
	if f.version == "" {
		f.version = "5"
	}
	if !jsTruthy(app.TrustProxy) {
		return f, nil
	}
	pa := FastifyProxyAddr
	if mode == fastify4 {
		pa = ProxyAddr208
	}
	// getTrustProxyFn
	switch v := app.TrustProxy.(type) {
	case bool:
		f.trust = trustAll{} // 5.0–5.8.2 return null: proxy-addr then filters nothing, the same walk
	case string:
		f.trust, err = compileList(pa, splitTrim(v))
	default:
		if n, ok := jsNumber(v); ok {
			if mode == fastify5 {
				f.trust = trustNever{}
			} else {
				f.trust = trustHops(n)
			}
		} else {
			f.trust, err = compileList(pa, v)
		}
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fastify) Trust() Trust {
	if f.trust == nil {
		return newTrustRanges(&CompiledTrust{Version: FastifyProxyAddr})
	}
	return f.trust
}
func (f *fastify) Name() string          { return "fastify " + f.version }
func (f *fastify) AddressHeader() string { return "X-Forwarded-For" }

// lastEntry is getLastEntryInMultiHeaderValue: the text after the last comma, trimmed.
func lastEntry(v string) string {
	if i := strings.LastIndexByte(v, ','); i != -1 {
		v = v[i+1:]
	}
	return jsTrim(v)
}

func (f *fastify) Evaluate(req Request) Result {
	var r Result
	undef := req.Peer == ""
	proto := "http"
	if req.TLS {
		proto = "https"
	}
	hostHdr, hasHost := req.Headers.NodeValue("host")
	if f.trust == nil {
		if f.explain {
			r.Steps = []Step{{Addr: req.Peer, Why: "trustProxy is not set: the socket address is used"}}
		}
		if !undef {
			r.IP = str(req.Peer)
		}
		r.Protocol = str(proto)
		r.Secure = BoolPtr(proto == "https")
		f.setHost(&r, hostHdr, hasHost)
		return r
	}

	parse := ParseFastifyXFF
	if f.mode == fastify4 {
		parse = ParseXFF // 4.x uses proxy-addr and forwarded themselves
	}
	r.IPs = closestFirst(walk(f.trust, req, parse, &r, f.explain), undef) // the socket included

	peerTrusted, _ := f.trust.Trusts(req.Peer, 0)
	readForwarded := peerTrusted
	if f.mode == fastify4 || f.mode == fastify5Unchecked {
		readForwarded = true // any peer; the host check only asks that request.ip is defined
	}
	if xfp, _ := req.Headers.NodeValue("x-forwarded-proto"); xfp != "" && readForwarded {
		proto = lastEntry(xfp)
	}
	r.Protocol = str(proto)
	r.Secure = BoolPtr(proto == "https")

	xfh, _ := req.Headers.NodeValue("x-forwarded-host")
	useXFH := xfh != "" && readForwarded
	if f.mode == fastify4 || f.mode == fastify5Unchecked {
		useXFH = useXFH && r.IP != nil
	}
	switch {
	case useXFH && f.mode == fastify4:
		r.Hostname = str(lastEntry(xfh)) // even when empty: only the Host fallback turns "" into undefined
	case useXFH:
		f.setHost(&r, lastEntry(xfh), true)
	default:
		f.setHost(&r, hostHdr, hasHost)
	}
	return r
}

// setHost fills request.host and request.hostname from the chosen value.
func (f *fastify) setHost(r *Result, host string, present bool) {
	if f.mode == fastify4 {
		// 4.x has no request.host; hostname is the whole value, port included,
		// and undefined when the Host header is empty or absent.
		if host != "" {
			r.Hostname = str(host)
		}
		return
	}
	if !present {
		host = "" // headers.host ?? headers[':authority'] ?? ''
	}
	r.Host = str(host)
	if strings.HasPrefix(host, "[") {
		r.Hostname = str(host[:strings.IndexByte(host, ']')+1])
	} else {
		h, _, _ := strings.Cut(host, ":")
		r.Hostname = str(h)
	}
}
