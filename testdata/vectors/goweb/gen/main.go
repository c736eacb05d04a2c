// Command gen writes truth vectors for trustcheck's Go evaluators: each case
// goes as raw HTTP bytes through net/http's real server (from the case's
// peer, over TLS when it says so) into a real gin, echo or chi app, and the
// app's answer is recorded. Output lines are {"case": CASE, "want": ANSWER},
// CASE being exactly a `trustcheck simulate --batch` input line.
//
//	go run . --seed 1 --count 1600 > ../recorded.jsonl
//	go run . --cases FILE     (one CASE or {"case":...} line per line)
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strings"
)

// Case is one simulate --batch input line.
type Case struct {
	Framework  string           `json:"framework"`
	Version    string           `json:"version"`
	TrustProxy json.RawMessage  `json:"trust_proxy,omitempty"`
	Peer       *string          `json:"peer"`
	TLS        bool             `json:"tls"`
	Headers    [][2]string      `json:"headers"`
	Options    map[string]any   `json:"options,omitempty"`
	Middleware []map[string]any `json:"middleware,omitempty"`
}

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	count := flag.Int("count", 1600, "vectors per framework (hand-picked ones first)")
	only := flag.String("frameworks", "gin,chi,echo", "comma-separated frameworks")
	casesFile := flag.String("cases", "", "evaluate the cases in FILE instead")
	crosscheck := flag.Bool("crosscheck", false, "also send each case whose peer can be 127.0.0.1, ::1 or a UNIX socket through real sockets, and report disagreements")
	flag.Parse()
	log.SetOutput(io.Discard) // gin logs a deprecation line on every AppEngine request

	var cases []Case
	if *casesFile != "" {
		var err error
		if cases, err = readCases(*casesFile); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(2)
		}
	} else {
		for _, fw := range strings.Split(*only, ",") {
			g, ok := generators[fw]
			if !ok {
				fmt.Fprintf(os.Stderr, "gen: unknown framework %q\n", fw)
				os.Exit(2)
			}
			r := rand.New(rand.NewPCG(*seed, uint64(len(fw))*7919+uint64(fw[0])))
			fc := g.handPicked()
			for len(fc) < *count {
				fc = append(fc, g.random(r))
			}
			cases = append(cases, fc...)
		}
	}

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	ss := servers{}
	var x *crosschecker
	if *crosscheck {
		var err error
		if x, err = newCrosschecker(); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		defer x.close()
	}
	disagree := 0
	for i, c := range cases {
		want, err := ss.eval(c)
		if err != nil {
			b, _ := json.Marshal(c)
			fmt.Fprintf(os.Stderr, "gen: case %d %s: %v\n", i+1, b, err)
			os.Exit(1)
		}
		if x != nil {
			diff, err := x.check(c, want)
			if err == nil && diff != "" {
				err = fmt.Errorf("%s", diff)
				disagree++
			}
			if err != nil {
				b, _ := json.Marshal(c)
				fmt.Fprintf(os.Stderr, "gen: crosscheck case %d %s: %v\n", i+1, b, err)
			}
		}
		line, err := marshal(struct {
			Case Case            `json:"case"`
			Want json.RawMessage `json:"want"`
		}{c, want})
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		out.Write(line)
	}
	if x != nil {
		fmt.Fprintf(os.Stderr, "gen: crosscheck: %d cases sent through real sockets, %d disagreements\n", x.n, disagree)
		if disagree > 0 {
			out.Flush()
			os.Exit(1)
		}
	}
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.Bytes(), err
}

func readCases(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Case
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var wrapped struct {
			Case *Case `json:"case"`
		}
		if err := json.Unmarshal([]byte(line), &wrapped); err == nil && wrapped.Case != nil {
			out = append(out, *wrapped.Case)
			continue
		}
		var c Case
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}
