// Command trustcheck checks that the client address, protocol and host an app
// believes behind nginx are right and cannot be chosen by the client.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/trustcheck/trustcheck/lint"
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
		EnableBashCompletion:      true, // hidden --generate-bash-completion; README "Shell completion"
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
	for _, c := range app.Commands {
		c.OnUsageError = usageError
	}
	err := app.Run(withDefaultCommand(app, args))
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() == 1 {
		return 1 // findings at or above --fail-on; the report already said so
	}
	// One line, whatever the input put into the message.
	msg := strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(err.Error())
	fmt.Fprintf(stderr, "trustcheck: %s\n", msg)
	return 2
}

// withDefaultCommand makes lint the default: `trustcheck nginx.conf` and
// `trustcheck --format json nginx.conf` mean `trustcheck lint ...`. (urfave's
// own DefaultCommand does not route positional arguments.)
func withDefaultCommand(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	switch first := args[1]; first {
	case "-h", "--help", "-help", "-v", "--version", "-version", "help", "h",
		"--generate-bash-completion": // complete the command names, not lint's flags
		return args
	default:
		if app.Command(first) != nil {
			return args
		}
	}
	return append([]string{args[0], "lint"}, args[1:]...)
}

// usageError reports a bad command line in one line, without the help page.
func usageError(c *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%v (see '%s --help')", err, c.Command.HelpName)
}

// inputFlags are the flags of every command that reads nginx configuration
// and the app's trust setting: lint, paths and suggest.
func inputFlags(format string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "app", Usage: "trustcheck.yaml (default: trustcheck.yaml or .trustcheck.yaml here, then beside the first nginx file)"},
		&cli.StringFlag{Name: "framework", Usage: "quick mode without a YAML: express, fastify or koa"},
		&cli.StringFlag{Name: "framework-version", Usage: "quick mode: the framework's major version"},
		&cli.StringFlag{Name: "trust-proxy", Usage: "quick mode: the app's trust setting as YAML (true, 1, loopback, '[loopback, 10.0.0.0/8]')"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: format},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no notes"},
		&cli.StringFlag{Name: "prefix", Aliases: []string{"p"}, Usage: "nginx's -p: the base for relative include paths"},
		&cli.BoolFlag{Name: "allow-missing-includes", Usage: "warn instead of failing when an include names no file"},
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
			&cli.StringSliceFlag{Name: "enable", Usage: "run only these rules (comma-separated IDs)"},
			&cli.StringSliceFlag{Name: "disable", Usage: "skip these rules (comma-separated IDs)"},
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
			&cli.BoolFlag{Name: "allow-missing-includes", Usage: "warn instead of failing when an include names no file"},
		},
		Action: func(c *cli.Context) error {
			return lint.RunInit(lint.InitOptions{
				Inputs: c.Args().Slice(), Force: c.Bool("force"), Prefix: c.String("prefix"),
				AllowMissingIncludes: c.Bool("allow-missing-includes"), Stdin: stdin,
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
		ArgsUsage: "TCxxx",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("explain takes one rule ID, e.g. trustcheck explain TC101")
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
			&cli.StringFlag{Name: "framework", Value: "express", Usage: "express, fastify, koa or proxy-addr"},
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
