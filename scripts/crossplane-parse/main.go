// Command crossplane-parse is the baseline for scripts/bench.sh: crossplane's
// own sequential parse of an nginx tree (includes followed, comments kept),
// printing the number of files and directives parsed.
//
//	go run ./scripts/crossplane-parse [-token-buffer N] /tmp/fleet/nginx.conf
//
// -token-buffer sets the lexer's token channel capacity, as trustcheck's
// loader does (16); the default is crossplane's own (2,048).
package main

import (
	"flag"
	"fmt"
	"os"

	crossplane "github.com/nginxinc/nginx-go-crossplane"
)

func main() {
	buf := flag.Int("token-buffer", crossplane.TokenChanCap, "capacity of the lexer's token channel")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: crossplane-parse [-token-buffer N] NGINX_CONF")
		os.Exit(2)
	}
	crossplane.SetTokenChanCap(*buf)
	payload, err := crossplane.Parse(flag.Arg(0), &crossplane.ParseOptions{
		ParseComments: true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crossplane-parse:", err)
		os.Exit(1)
	}
	dirs := 0
	var count func(crossplane.Directives)
	count = func(ds crossplane.Directives) {
		for _, d := range ds {
			dirs++
			count(d.Block)
		}
	}
	for _, c := range payload.Config {
		count(c.Parsed)
	}
	fmt.Printf("%d files, %d directives, %d errors\n", len(payload.Config), dirs, len(payload.Errors))
	if len(payload.Errors) > 0 {
		fmt.Fprintln(os.Stderr, "crossplane-parse: first error:", payload.Errors[0].Error)
		os.Exit(1)
	}
}
