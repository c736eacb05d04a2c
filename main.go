// Command trustcheck checks that the client address, protocol and host an app
// believes behind nginx are right and cannot be chosen by the client.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/trustcheck/trustcheck/lint"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// version is the release version, set at link time by the release build
// (.goreleaser.yaml: -ldflags "-X main.version={{.Version}}"). Left empty,
// --version prints the module version Go recorded (go install ...@vX.Y.Z) or
// "devel" (see lint.Version).
var version = ""

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program; tests call it. Exit codes: 0 clean, 1 findings
// at or above --fail-on, 2 the run could not complete.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &cli.App{
		Name:                      "trustcheck",
		Usage:                     "check what an app behind nginx believes about the client, and whether the client can choose it",
		Version:                   lint.Version(version),
		Reader:                    stdin,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		DisableSliceFlagSeparator: true, // header values contain commas
		HideHelpCommand:           true,
		ExitErrHandler:            func(*cli.Context, error) {}, // run maps errors to exit codes
		OnUsageError:              usageError,
		Commands: []*cli.Command{
			lintCommand(stdin, stdout),
			simulateCommand(stdin),
			pathsCommand(stdin),
			initCommand(stdin),
			suggestCommand(stdin),
			rulesCommand(),
			explainCommand(),
		},
	}
	app.Commands = append(app.Commands, completionCommands()...)
	for _, c := range app.Commands {
		c.OnUsageError = usageError
	}
	args, err := normalizeArgs(app, args, stderr)
	if err == nil {
		err = app.Run(args)
	}
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() == 1 {
		return 1 // findings at or above --fail-on; the report already said so
	}
	// One short line, whatever the input put into the message.
	fmt.Fprintf(stderr, "trustcheck: %s\n", lint.ErrorLine(err))
	return 2
}

// normalizeArgs routes the command line as its users write it. lint is the
// default command: `trustcheck nginx.conf` means `trustcheck lint
// nginx.conf` (urfave's own DefaultCommand does not route positional
// arguments). The command is the first argument that is not a flag or a
// flag's value, wherever the flags are (`trustcheck -q lint x.conf`); a
// command's flags may follow its arguments (`trustcheck x.conf --format
// json`), so they are moved ahead of them for urfave, which stops at the
// first argument. A word a letter or two from a command, naming no file,
// is a typo of it, not an input.
func normalizeArgs(app *cli.App, args []string, stderr io.Writer) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	rest := args[1:]
	switch rest[0] {
	case "-h", "--help", "-help", "-v", "--version", "-version", "help", "h", completeCommand:
		return args, nil
	}
	lint := app.Command("lint")
	cmdAt := -1
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			break
		}
		if isFlag(a) {
			if takesValue(lint, a) {
				i++
			}
			continue
		}
		if app.Command(a) != nil {
			cmdAt = i
			// Alone, the word could have meant the path: say which it is.
			if _, err := os.Stat(a); err == nil && !hasPositional(app.Command(a), rest[i+1:]) {
				fmt.Fprintf(stderr, "note: %q is read as the command %s, not as the path of that name (write ./%s to check it)\n", a, a, a)
			}
		} else if _, err := os.Stat(a); err != nil && a != "-" {
			if near := nearCommand(app, a); near != "" {
				return nil, fmt.Errorf("unknown command %q: did you mean %q? (see 'trustcheck --help')", a, near)
			}
		}
		break
	}
	cmd := lint
	if cmdAt >= 0 {
		cmd = app.Command(rest[cmdAt])
		rest = append(append([]string(nil), rest[:cmdAt]...), rest[cmdAt+1:]...)
	}
	if cmd.Name == "help" || cmd.Name == "h" {
		return append([]string{args[0], cmd.Name}, rest...), nil
	}
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case isFlag(a):
			flags = append(flags, a)
			if takesValue(cmd, a) {
				if i+1 == len(rest) {
					return nil, fmt.Errorf("flag needs an argument: %s (see 'trustcheck %s --help')", a, cmd.Name)
				}
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append([]string{args[0], cmd.Name}, flags...)
	if slices.ContainsFunc(positional, isFlag) {
		out = append(out, "--")
	}
	return append(out, positional...), nil
}

// hasPositional reports whether args hold an argument of cmd that is not
// a flag or a flag's value.
func hasPositional(cmd *cli.Command, args []string) bool {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return i+1 < len(args)
		case isFlag(a):
			if takesValue(cmd, a) {
				i++
			}
		default:
			return true
		}
	}
	return false
}

// isFlag: "-" alone is standard input, not a flag.
func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// takesValue reports whether flag a of cmd is followed by its value (it is
// one of cmd's flags, not a boolean, and not written --name=value).
func takesValue(cmd *cli.Command, a string) bool {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			_, isBool := f.(*cli.BoolFlag)
			return !isBool
		}
	}
	return false
}

// nearCommand is the command at most two edits from word ("lnit",
// "simualte"), "" when none is, or when word looks like a path.
func nearCommand(app *cli.App, word string) string {
	if strings.ContainsAny(word, "./\\") || len(word) < 3 {
		return ""
	}
	best, bestDist := "", 3
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		if d := editDistance(word, c.Name); d < bestDist && d < len(c.Name)/2+1 {
			best, bestDist = c.Name, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// usageError reports a bad command line in one line, without the help page.
func usageError(c *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%v (see '%s --help')", err, c.Command.HelpName)
}

// inputFlags are the flags of every command that reads nginx configuration
// and the app's trust setting: lint, paths and suggest.
func inputFlags(format string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "app", Usage: "trustcheck.yaml (default: trustcheck.yaml or .trustcheck.yaml here, then beside the first nginx file); none: read no YAML"},
		&cli.StringFlag{Name: "framework", Usage: "quick mode without a YAML: " + strings.Join(trustmodel.Frameworks, ", ")},
		&cli.StringFlag{Name: "framework-version", Usage: "quick mode: the framework's major version"},
		&cli.StringFlag{Name: "trust-proxy", Usage: "quick mode: the app's trust setting as YAML (true, 1, loopback, '[loopback, 10.0.0.0/8]')"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: format},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no notes"},
		&cli.StringFlag{Name: "prefix", Aliases: []string{"p"}, Usage: "nginx's -p: the base for relative include paths"},
		&cli.BoolFlag{Name: "allow-missing-includes", Usage: "note instead of failing when an include names no file"},
		&cli.StringFlag{Name: "nginx-version", Usage: "the nginx version the configuration runs on, e.g. 1.22.1 (default: the newest behaviour)"},
	}
}

// inputOptions reads inputFlags.
func inputOptions(c *cli.Context, stdin io.Reader) lint.Options {
	return lint.Options{
		Inputs:               c.Args().Slice(),
		AppFile:              c.String("app"),
		Framework:            c.String("framework"),
		FrameworkVersion:     c.String("framework-version"),
		TrustProxy:           c.String("trust-proxy"),
		TrustProxySet:        c.IsSet("trust-proxy"),
		Format:               c.String("format"),
		Quiet:                c.Bool("quiet"),
		Prefix:               c.String("prefix"),
		AllowMissingIncludes: c.Bool("allow-missing-includes"),
		NginxVersion:         c.String("nginx-version"),
		Stdin:                stdin,
		Version:              lint.Version(version),
	}
}

func lintCommand(stdin io.Reader, stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "check nginx configuration against the app's trust setting (the default command)",
		ArgsUsage: "NGINX_CONF...",
		Flags: append(inputFlags("text, json, sarif (SARIF 2.1.0 for code scanning), github (Actions annotations) or html (a self-contained audit report)"),
			&cli.StringFlag{Name: "fail-on", Value: "warning", Usage: "exit 1 on findings at or above: error, warning, info or none"},
			&cli.StringSliceFlag{Name: "enable", Usage: "run only these rules (comma-separated IDs or names)"},
			&cli.StringSliceFlag{Name: "disable", Usage: "skip these rules (comma-separated IDs or names)"},
			&cli.BoolFlag{Name: "no-color", Usage: "never colour the output (NO_COLOR is honoured too)"},
			&cli.StringFlag{Name: "summary", Usage: "also write a Markdown job summary (counts, findings, diagrams of the paths with an error) to this file; with --format github it goes to $GITHUB_STEP_SUMMARY when that is set"},
		),
		Action: func(c *cli.Context) error {
			o := inputOptions(c, stdin)
			o.Summary = c.String("summary")
			if env := os.Getenv("GITHUB_STEP_SUMMARY"); o.Summary == "" && o.Format == "github" && env != "" {
				o.Summary, o.SummaryAppend = env, true
			}
			if server, repo, sha := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_SHA"); server != "" && repo != "" && sha != "" {
				o.LinkBase = server + "/" + repo + "/blob/" + sha + "/"
			}
			o.FailOn = c.String("fail-on")
			o.Enable, o.Disable = c.StringSlice("enable"), c.StringSlice("disable")
			o.Color = !c.Bool("no-color") && os.Getenv("NO_COLOR") == "" && isTerminal(stdout)
			code, err := lint.Run(o, stdout, c.App.ErrWriter)
			if err != nil {
				return err
			}
			if code != 0 {
				return cli.Exit("", code)
			}
			return nil
		},
	}
}

func pathsCommand(stdin io.Reader) *cli.Command {
	return &cli.Command{
		Name:      "paths",
		Usage:     "show each path to the app: what every hop does to the forwarded headers, and the honest and hostile replays",
		ArgsUsage: "NGINX_CONF...",
		Flags:     inputFlags("text, json (the requests and predicted results, for end-to-end tests), mermaid (Markdown with sequence diagrams) or dot (Graphviz)"),
		Action: func(c *cli.Context) error {
			return lint.RunPaths(inputOptions(c, stdin), c.App.Writer, c.App.ErrWriter)
		},
	}
}

func suggestCommand(stdin io.Reader) *cli.Command {
	return &cli.Command{
		Name:      "suggest",
		Usage:     "print the trust-proxy value and the nginx directives that make every path correct and unspoofable",
		ArgsUsage: "NGINX_CONF...",
		Flags:     inputFlags("text, or json: machine-applicable edits"),
		Action: func(c *cli.Context) error {
			return lint.RunSuggest(inputOptions(c, stdin), c.App.Writer, c.App.ErrWriter)
		},
	}
}

func initCommand(stdin io.Reader) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write a commented trustcheck.yaml next to the nginx configuration, pre-filled from it",
		ArgsUsage: "[NGINX_CONF...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "overwrite an existing trustcheck.yaml"},
			&cli.StringFlag{Name: "prefix", Aliases: []string{"p"}, Usage: "nginx's -p: the base for relative include paths"},
			&cli.BoolFlag{Name: "allow-missing-includes", Usage: "note instead of failing when an include names no file"},
			&cli.StringFlag{Name: "framework", Value: "express", Usage: "the app's framework: " + strings.Join(trustmodel.Frameworks, ", ")},
			&cli.StringFlag{Name: "framework-version", Usage: "its version (default: Node's newest major; otherwise left out: the newest modelled)"},
		},
		Action: func(c *cli.Context) error {
			return lint.RunInit(lint.InitOptions{
				Inputs: c.Args().Slice(), Force: c.Bool("force"), Prefix: c.String("prefix"),
				AllowMissingIncludes: c.Bool("allow-missing-includes"), Stdin: stdin,
				Framework: c.String("framework"), FrameworkVersion: c.String("framework-version"),
			}, c.App.Writer)
		},
	}
}

func rulesCommand() *cli.Command {
	return &cli.Command{
		Name:   "rules",
		Usage:  "list every rule",
		Action: func(c *cli.Context) error { return lint.WriteRules(c.App.Writer) },
	}
}

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "one rule's documentation: rationale, bad and good example, fix",
		ArgsUsage: "TCxxx|NAME",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("explain takes one rule ID or name, e.g. trustcheck explain TC101")
			}
			return lint.WriteExplain(c.App.Writer, c.Args().First())
		},
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func simulateCommand(stdin io.Reader) *cli.Command {
	return &cli.Command{
		Name:      "simulate",
		Usage:     "one request through one framework's evaluator, step by step",
		UsageText: "trustcheck simulate --trust-proxy VALUE --peer ADDR [-H 'Name: value']... [--tls] [--format text|json]\ntrustcheck simulate --batch FILE|-",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "framework", Value: "express", Usage: strings.Join(trustmodel.Frameworks, ", ") + ", or the packages proxy-addr and request-ip"},
			&cli.StringFlag{Name: "framework-version", Usage: "express 4|5 (default 5), fastify 4|5|5.x.y, koa 2|3, proxy-addr 2.0.7|2.0.8"},
			&cli.StringFlag{Name: "trust-proxy", Usage: "the app's trust setting as YAML: true, 1, '\"1\"', loopback, '[loopback, 10.0.0.0/8]'"},
			&cli.StringSliceFlag{Name: "option", Usage: "framework option NAME=VALUE (koa: proxyIpHeader, maxIpsCount)"},
			&cli.StringFlag{Name: "server", Usage: "the app server as a YAML mapping: '{name: gunicorn, version: \"23\", forwarded_allow_ips: 127.0.0.1}'"},
			&cli.StringSliceFlag{Name: "middleware", Usage: "request-rewriting middleware as a YAML mapping, outermost first: '{name: proxy_fix, x_for: 1}'"},
			&cli.StringFlag{Name: "session-cookie-secure", Usage: "model express-session with cookie.secure true, false or auto"},
			&cli.StringFlag{Name: "session-proxy", Usage: "express-session's proxy option: true or false (default: unset)"},
			&cli.StringFlag{Name: "peer", Usage: "the socket address the app sees (req.socket.remoteAddress)"},
			&cli.BoolFlag{Name: "tls", Usage: "the connection to the app is TLS"},
			&cli.StringSliceFlag{Name: "header", Aliases: []string{"H"}, Usage: "a request header line 'Name: value' (repeatable, in order)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
			&cli.StringFlag{Name: "batch", Usage: "read JSON-lines cases from FILE (- for stdin) and write one JSON line per case"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("simulate takes no arguments (got %q)", c.Args().First())
			}
			if c.IsSet("batch") {
				// each case of a batch carries its own settings
				var also []string
				for _, f := range c.Command.Flags {
					if name := f.Names()[0]; name != "batch" && c.IsSet(name) {
						also = append(also, "--"+name)
					}
				}
				if len(also) > 0 {
					return fmt.Errorf("--batch reads every setting from its cases: %s cannot be given with it", strings.Join(also, ", "))
				}
			}
			return lint.RunSimulate(lint.SimulateOptions{
				Framework:     c.String("framework"),
				Version:       c.String("framework-version"),
				TrustProxy:    c.String("trust-proxy"),
				TrustProxySet: c.IsSet("trust-proxy"),
				Options:       c.StringSlice("option"),
				Server:        c.String("server"),
				Middleware:    c.StringSlice("middleware"),
				SessionSecure: c.String("session-cookie-secure"),
				SessionProxy:  c.String("session-proxy"),
				Peer:          c.String("peer"),
				TLS:           c.Bool("tls"),
				Headers:       c.StringSlice("header"),
				Format:        c.String("format"),
				Batch:         c.String("batch"),
			}, stdin, c.App.Writer)
		},
	}
}
