package trustmodel

import (
	"fmt"
	"net/netip"
	"sort"
)

// edgePreset is a known hop in front of nginx: where it connects from and
// what it does to the forwarded headers.
type edgePreset struct {
	addresses                  []string
	xff, xfp, xfh, tls, source string
	// extra headers the hop sets to the client address it saw
	clientAddrHeaders []string
}

// edgePresets carries each provider's published ranges and documented
// header behaviour; source says where the facts come from.
var edgePresets = map[string]edgePreset{
	"cloudflare": {
		// https://www.cloudflare.com/ips-v4 and /ips-v6
		addresses: []string{
			"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
			"141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
			"197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
			"104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
			"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32",
			"2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
		},
		xff: "append", xfp: "set", xfh: "preserve", tls: "terminate",
		clientAddrHeaders: []string{"CF-Connecting-IP"},
		source:            "https://developers.cloudflare.com/fundamentals/reference/http-headers/",
	},
	"fastly": {
		// https://api.fastly.com/public-ip-list
		addresses: []string{
			"23.235.32.0/20", "43.249.72.0/22", "103.244.50.0/24", "103.245.222.0/23",
			"103.245.224.0/24", "104.156.80.0/20", "140.248.64.0/18", "140.248.128.0/17",
			"146.75.0.0/17", "151.101.0.0/16", "157.52.64.0/18", "167.82.0.0/17",
			"167.82.128.0/20", "167.82.160.0/20", "167.82.224.0/20", "172.111.64.0/18",
			"185.31.16.0/22", "199.27.72.0/21", "199.232.0.0/16",
			"2a04:4e40::/32", "2a04:4e42::/32",
		},
		xff: "append", xfp: "preserve", xfh: "preserve", tls: "terminate",
		clientAddrHeaders: []string{"Fastly-Client-IP"},
		source:            "https://www.fastly.com/documentation/reference/http/http-headers/",
	},
	"aws-alb": {
		// The ALB connects from the VPC subnets it is placed in: the user lists them.
		xff: "append", xfp: "set", xfh: "preserve", tls: "terminate",
		source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html",
	},
	"gcp-lb": {
		// Google Front Ends connect from these ranges.
		addresses: []string{"35.191.0.0/16", "130.211.0.0/22"},
		xff:       "append", xfp: "set", xfh: "preserve", tls: "terminate",
		source: "https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header",
	},
	"generic": {
		xff: "append", xfp: "set", xfh: "preserve", tls: "terminate",
	},
}

// PresetNames lists the edge presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(edgePresets))
	for n := range edgePresets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PresetRanges returns the published ranges of a preset (nil for presets
// whose addresses the user lists, like aws-alb and generic).
func PresetRanges(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range edgePresets[name].addresses {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// applyPreset fills what the file left unsaid from the preset; without a
// preset a hop appends to X-Forwarded-For, sets X-Forwarded-Proto, leaves
// X-Forwarded-Host alone and terminates TLS, as most load balancers do.
func (e *EdgeSpec) applyPreset() error {
	p := edgePresets["generic"]
	if e.Preset != "" {
		p = edgePresets[e.Preset]
	}
	if len(e.Addresses) == 0 && e.Preset != "" {
		e.Addresses = PresetRanges(e.Preset)
	}
	fill := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	fill(&e.XForwardedFor, p.xff)
	fill(&e.XForwardedProto, p.xfp)
	fill(&e.XForwardedHost, p.xfh)
	fill(&e.TLS, p.tls)
	if e.Preset == "aws-alb" && len(e.Addresses) == 0 {
		return fmt.Errorf("aws-alb: list the subnets the load balancer connects from in addresses")
	}
	return nil
}

// ConnectAddr is a representative address this hop connects from: the first
// host address of its first range.
func (e *EdgeSpec) ConnectAddr() string {
	if len(e.Addresses) == 0 {
		return ""
	}
	p := e.Addresses[0]
	a := p.Addr()
	if p.Bits() < a.BitLen() {
		a = a.Next()
	}
	return a.String()
}

// Hop is what this edge hop does to a request: TLSToNext says whether it
// connects onwards over TLS, which the next hop's listener decides.
func (e *EdgeSpec) Hop(tlsToNext bool) Hop {
	h := Hop{Name: e.Name, Pos: e.Pos, Addr: e.ConnectAddr(), TLSToNext: tlsToNext}
	switch e.XForwardedFor {
	case "append":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-For", Value: AppendXFF{Text: "append"}, Pos: e.Pos})
	case "overwrite":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-For", Value: ClientAddr{Text: "overwrite"}, Pos: e.Pos})
	case "remove":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-For", Remove: true, Pos: e.Pos})
	}
	switch e.XForwardedProto {
	case "set":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-Proto", Value: Scheme{Text: "set"}, Pos: e.Pos})
	case "remove":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-Proto", Remove: true, Pos: e.Pos})
	}
	switch e.XForwardedHost {
	case "set":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-Host", Value: RequestHeader{Header: "Host", Text: "set"}, Pos: e.Pos})
	case "remove":
		h.Rules = append(h.Rules, HeaderRule{Name: "X-Forwarded-Host", Remove: true, Pos: e.Pos})
	}
	preset := edgePresets[e.Preset]
	for _, name := range preset.clientAddrHeaders {
		h.Rules = append(h.Rules, HeaderRule{Name: name, Value: ClientAddr{Text: "client address"}, Pos: e.Pos})
	}
	return h
}

// Covers reports whether addr (as a socket would report it) is in the hop's ranges.
func (e *EdgeSpec) Covers(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range e.Addresses {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
