// Command crossplane-parse is the baseline for scripts/bench.sh: crossplane's
// own sequential parse of an nginx tree (includes followed, comments kept, the
// same lexer options trustcheck's loader uses are not applied), printing the
// number of files and directives parsed.
//
//	go run ./scripts/crossplane-parse /tmp/fleet/nginx.conf
package main

import (
	"fmt"
	"os"

	crossplane "github.com/nginxinc/nginx-go-crossplane"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crossplane-parse NGINX_CONF")
		os.Exit(2)
	}
	payload, err := crossplane.Parse(os.Args[1], &crossplane.ParseOptions{
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
