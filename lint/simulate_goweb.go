package lint

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
)

// gowebAccessors are the Go frameworks' accessors by result field (SPEC
// §3.1); "" where the framework has none.
var gowebAccessors = map[string][5]string{
	//       ip               protocol     secure       host                 hostname
	"gin":  {"c.ClientIP()", "", "", "c.Request.Host", "hostname"},
	"echo": {"c.RealIP()", "c.Scheme()", "c.IsTLS()", "c.Request().Host", "hostname"},
	"chi":  {"r.RemoteAddr (its host)", "", "", "r.Host", "hostname"},
}

// writeGowebSimulation is the text walk for gin, echo and chi: the request
// as net/http presents it, each address the framework looked at with the
// evaluator's reason, and the accessors' values in Go's terms. It reports
// false for other frameworks.
func writeGowebSimulation(w io.Writer, ev trustmodel.Evaluator, req trustmodel.Request, r trustmodel.Result) bool {
	fw, _, _ := strings.Cut(ev.Name(), " ")
	names, ok := gowebAccessors[fw]
	if !ok {
		return false
	}
	fmt.Fprintf(w, "%s, trust: %s\n", ev.Name(), ev.Trust())
	from := "r.RemoteAddr " + req.Peer + ":PORT"
	if strings.Contains(req.Peer, ":") {
		from = "r.RemoteAddr [" + req.Peer + "]:PORT"
	}
	if req.Peer == "" {
		from = "a UNIX socket (r.RemoteAddr \"@\")"
	}
	scheme := "http"
	if req.TLS {
		scheme = "https"
	}
	fmt.Fprintf(w, "request from %s over %s\n", from, scheme)
	for _, h := range req.Headers {
		fmt.Fprintf(w, "  %s: %s\n", h.Name, h.Value)
	}
	fmt.Fprintln(w)
	if len(r.Steps) > 0 {
		fmt.Fprintln(w, "what the framework looked at (hop 0 is the peer; hop N the Nth header entry from the right):")
		width := 0
		for _, s := range r.Steps {
			width = max(width, len(s.Addr))
		}
		for _, s := range r.Steps {
			verdict := "untrusted"
			switch {
			case !s.Tested:
				verdict = "used"
			case s.Trusted:
				verdict = "trusted"
			}
			addr := s.Addr
			if s.Hop == 0 && addr == "" {
				addr = "(unix)"
			}
			fmt.Fprintf(w, "  hop %d  %-*s  %-9s  %s\n", s.Hop, width, addr, verdict, s.Why)
		}
		fmt.Fprintln(w)
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	show := func(name string, v *string) {
		if name == "" {
			return
		}
		if v == nil {
			fmt.Fprintf(w, "%-*s = (none)\n", width, name)
			return
		}
		fmt.Fprintf(w, "%-*s = %q\n", width, name, *v)
	}
	show(names[0], r.IP)
	show(names[1], r.Protocol)
	if names[2] != "" && r.Secure != nil {
		fmt.Fprintf(w, "%-*s = %t\n", width, names[2], *r.Secure)
	}
	show(names[3], r.Host)
	show(names[4], r.Hostname)
	if names[1] == "" {
		fmt.Fprintf(w, "(%s has no scheme accessor: protocol and secure are null)\n", fw)
	}
	return true
}
