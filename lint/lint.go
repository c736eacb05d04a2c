// Package lint runs trustcheck's commands: it loads the inputs, builds the
// paths, runs the rules and renders the findings.
package lint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trustcheck/trustcheck/nginxconf"
	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/frameworks"
)

// Options is the lint command line.
type Options struct {
	Inputs               []string // nginx files, directories, "-", nginx -T dumps
	AppFile              string   // --app; "" = look for trustcheck.yaml
	Framework            string   // quick mode: --framework
	FrameworkVersion     string
	TrustProxy           string // quick mode: --trust-proxy (YAML)
	TrustProxySet        bool
	Format               string // text, json (sarif, github later)
	FailOn               string // error, warning, info, none
	Enable, Disable      []string
	Color                bool
	Quiet                bool
	Prefix               string
	AllowMissingIncludes bool
	NginxVersion         string // "" = the newest behaviour
	Stdin                io.Reader
	// WorkDir is where trustcheck.yaml is looked for first ("" = the process's).
	WorkDir string
	// Version is trustcheck's version, for the formats that record it (SARIF).
	Version string
}

// Report is the outcome of one lint run, ready to render.
type Report struct {
	Findings []rules.Finding
	// Notes say what the run could not check and why.
	Notes []string
	Files int
}

// Run lints and renders; it returns the exit code (0 or 1) or an error (exit 2).
func Run(o Options, stdout, stderr io.Writer) (int, error) {
	render, err := formatter(o.Format)
	if err != nil {
		return 2, err
	}
	// A code-scanning upload step needs its log even when the run failed:
	// SARIF says so with executionSuccessful false.
	failed := func(err error) (int, error) {
		if o.Format == "sarif" {
			if werr := renderSARIFFailure(stdout, err, o); werr != nil {
				return 2, werr
			}
		}
		return 2, err
	}
	failOn, err := parseFailOn(o.FailOn)
	if err != nil {
		return failed(err)
	}
	rep, err := Lint(o)
	if err != nil {
		return failed(err)
	}
	if err := render(stdout, rep, o); err != nil {
		return 2, err
	}
	if !o.Quiet && (o.Format == "" || o.Format == "text") { // the other formats carry the notes
		for _, n := range rep.Notes {
			fmt.Fprintf(stderr, "note: %s\n", n)
		}
	}
	for _, f := range rep.Findings {
		if failOn != 0 && f.Severity >= failOn {
			return 1, nil
		}
	}
	return 0, nil
}

func parseFailOn(s string) (rules.Severity, error) {
	switch s {
	case "", "warning":
		return rules.Warning, nil
	case "none":
		return 0, nil
	}
	sev, err := rules.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("--fail-on: unknown severity %q (want error, warning, info or none)", s)
	}
	return sev, nil
}

// Lint loads the inputs and returns the findings, sorted and suppressions applied.
func Lint(o Options) (*Report, error) { return lint(o, partServers) }

// lint is Lint handing the rules partSize servers at a time.
func lint(o Options, partSize int) (*Report, error) {
	if err := o.inputsFromAppFile(); err != nil {
		return nil, err
	}
	if len(o.Inputs) == 0 {
		return nil, errors.New("no nginx configuration given (usage: trustcheck [lint] NGINX_CONF...)")
	}
	enabled, err := selectRules(o.Enable, o.Disable)
	if err != nil {
		return nil, err
	}
	pr, err := load(o, true)
	if err != nil {
		return nil, err
	}
	cfg, ng, app := pr.cfg, pr.ng, pr.app
	var notes []string
	run := enabled
	if app.Evaluator == nil {
		var skipped []string
		run = nil
		for _, r := range enabled {
			if r.NeedsApp {
				skipped = append(skipped, r.ID)
			} else {
				run = append(run, r)
			}
		}
		if len(skipped) > 0 {
			why := "no trustcheck.yaml was found and no --trust-proxy was given"
			if o.AppFile == NoAppFile {
				why = "--app none reads no trustcheck.yaml and no --trust-proxy was given"
			}
			if cfg != nil {
				why = cfg.File + " does not set app.trust_proxy"
			}
			if app.TrustError != "" {
				why = "the app's trust setting is rejected by the framework (see TC108)"
			}
			notes = append(notes, fmt.Sprintf("skipped %s: %s, so what the app believes cannot be computed", strings.Join(skipped, ", "), why))
		}
	}
	pass := rules.NewPass(ng, cfg, app, nil)
	unknownPeer, proxies := checkParts(pass, run, newPathBuilder(cfg, app), ng, partSize)
	if err := ng.ProxiesBuilt(); err != nil {
		return nil, err
	}
	rep := &Report{Files: len(ng.Files)}
	for _, w := range ng.Warnings {
		rep.Notes = append(rep.Notes, w.String())
	}
	if proxies == 0 {
		// "no findings" alone would read as "safe"
		rep.Notes = append(rep.Notes, "no location passes requests to an app (proxy_pass, fastcgi_pass, uwsgi_pass, scgi_pass, grpc_pass): there was nothing to check")
	}
	rep.Notes = append(rep.Notes, notes...)
	if unknownPeer > 0 && app.Evaluator != nil {
		rep.Notes = append(rep.Notes, unknownPeerNote(unknownPeer))
	}
	findings := pass.Finish(run)
	findings = mergeSharedRoots(findings)
	findings = applySuppressions(findings, ng, cfg, ruleSet(enabled))
	sortFindings(findings)
	rep.Findings = findings
	return rep, nil
}

// prepared is what every command that models the paths needs: the inputs
// loaded, the app's evaluator built, and the paths replayed (Lint, paths).
type prepared struct {
	cfg *trustmodel.Config // nil when there is no trustcheck.yaml
	ng  *nginxconf.Config
	app rules.AppInfo
	// paths are buildPaths' paths; unknownPeer counts the places left out
	// because nobody knows the address nginx connects from.
	paths       []*rules.Path
	unknownPeer int
}

// partServers is how many servers lint builds the proxies and paths of
// at a time.
const partServers = 64

// checkParts builds the proxies of ng's servers and the paths through them
// partSize servers at a time and runs the rules' Check on each part, the
// paths of the app's direct clients last; it returns how many proxies were
// left out for an unknown peer and how many there were. Once a part is checked its servers'
// locations and directives, its proxies, paths and replays are dropped, so
// a fleet's are never all held at once; the next part is built while the
// rules check this one.
func checkParts(pass *rules.Pass, rs []*rules.Rule, pb *pathBuilder, ng *nginxconf.Config, partSize int) (unknownPeer, proxies int) {
	type part struct {
		servers []*nginxconf.Server
		proxies []*nginxconf.Proxy
		paths   []*rules.Path
		unknown int
	}
	parts := make(chan part, 1)
	go func() {
		defer close(parts)
		servers := ng.Servers
		for len(servers) > 0 {
			group := servers[:min(len(servers), partSize)]
			servers = servers[len(group):]
			proxies := ng.BuildProxies(group)
			paths, unknown := pb.through(proxies)
			parts <- part{group, proxies, paths, unknown}
		}
		parts <- part{paths: pb.direct()}
	}()
	budget := newMemoryBudget()
	defer budget.release()
	for pt := range parts {
		budget.follow()
		unknownPeer += pt.unknown
		proxies += len(pt.proxies)
		pass.Check(rs, pt.servers, pt.proxies, pt.paths)
		ng.ReleaseServers(pt.servers)
	}
	return unknownPeer, proxies
}

// prepare loads the inputs and builds every path.
func prepare(o Options) (*prepared, error) {
	pr, err := load(o, false)
	if err != nil {
		return nil, err
	}
	pr.paths, pr.unknownPeer = buildPaths(pr.ng, pr.cfg, pr.app)
	return pr, nil
}

// load loads trustcheck.yaml and the nginx inputs and combines the app's
// settings with the quick-mode flags. With deferProxies the caller builds
// the proxies (nginxconf.LoadOptions.DeferProxies).
func load(o Options, deferProxies bool) (*prepared, error) {
	if len(o.Inputs) == 0 {
		return nil, errors.New("no nginx configuration given")
	}
	cfg, err := loadAppFile(o)
	if err != nil {
		return nil, err
	}
	ng, err := nginxconf.Load(nginxconf.LoadOptions{
		Prefix: o.Prefix, AllowMissingIncludes: o.AllowMissingIncludes, Stdin: o.Stdin, NginxVersion: o.NginxVersion,
		DeferProxies: deferProxies,
	}, o.Inputs...)
	if err != nil {
		return nil, err
	}
	if len(ng.Files) == 0 {
		// Linting nothing must not pass a CI step that names the wrong path.
		if len(ng.Warnings) > 0 {
			return nil, errors.New(ng.Warnings[0].String())
		}
		return nil, errors.New("no nginx configuration file was read")
	}
	app, err := appInfo(o, cfg)
	if err != nil {
		if deferProxies { // what the proxies have wrong is reported first, as without deferring
			ng.BuildProxies(ng.Servers)
			if perr := ng.ProxiesBuilt(); perr != nil {
				return nil, perr
			}
		}
		return nil, err
	}
	return &prepared{cfg: cfg, ng: ng, app: app}, nil
}

// unknownPeerNote says why n places were left out of the paths.
func unknownPeerNote(n int) string {
	return fmt.Sprintf("%s proxy to a remote host, so the address the app sees nginx connect from is not in the configuration; set nginx.connects_from in trustcheck.yaml to check them",
		plural(n, "location"))
}

// selectRules applies --enable (only these) and --disable (all but these).
func selectRules(enable, disable []string) ([]*rules.Rule, error) {
	ids := func(list []string) (map[string]bool, error) {
		m := map[string]bool{}
		for _, item := range list {
			for _, id := range strings.Split(item, ",") {
				id = strings.TrimSpace(id)
				if id == "" {
					continue
				}
				r := findRule(id)
				if r == nil {
					return nil, fmt.Errorf("unknown rule %q (see trustcheck rules)", id)
				}
				m[r.ID] = true
			}
		}
		return m, nil
	}
	on, err := ids(enable)
	if err != nil {
		return nil, fmt.Errorf("--enable: %v", err)
	}
	off, err := ids(disable)
	if err != nil {
		return nil, fmt.Errorf("--disable: %v", err)
	}
	var out []*rules.Rule
	for _, r := range rules.All() {
		if (len(on) == 0 || on[r.ID]) && !off[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

func ruleSet(rs []*rules.Rule) map[string]bool {
	m := make(map[string]bool, len(rs))
	for _, r := range rs {
		m[r.ID] = true
	}
	return m
}

// inputsFromAppFile makes nginx.config of trustcheck.yaml (relative to
// that file) the input when the command line names none.
func (o *Options) inputsFromAppFile() error {
	if len(o.Inputs) > 0 {
		return nil
	}
	cfg, err := loadAppFile(*o)
	if err != nil || cfg == nil || cfg.Nginx.Config == "" {
		return err
	}
	p := cfg.Nginx.Config
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(cfg.File), p)
	}
	o.Inputs = []string{p}
	return nil
}

// NoAppFile is the --app value that ignores every trustcheck.yaml.
const NoAppFile = "none"

// loadAppFile finds and decodes trustcheck.yaml: --app, else trustcheck.yaml
// or .trustcheck.yaml in the working directory, then beside the first nginx
// file. No file is not an error.
func loadAppFile(o Options) (*trustmodel.Config, error) {
	name := o.AppFile
	if name == NoAppFile {
		return nil, nil
	}
	if name == "" {
		var dirs []string
		dirs = append(dirs, o.WorkDir)
		if len(o.Inputs) > 0 && o.Inputs[0] != "-" {
			first := o.Inputs[0]
			if st, err := os.Stat(first); err == nil && st.IsDir() {
				dirs = append(dirs, first)
			} else {
				dirs = append(dirs, filepath.Dir(first))
			}
		}
		for _, d := range dirs {
			for _, base := range []string{"trustcheck.yaml", ".trustcheck.yaml"} {
				p := filepath.Join(d, base)
				if d == "" {
					p = base
				}
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					name = p
					break
				}
			}
			if name != "" {
				break
			}
		}
		if name == "" {
			return nil, nil
		}
	}
	data, err := nginxconf.ReadFile(name) // bounded; never a device or kernel interface
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, unwrapPathError(err))
	}
	return trustmodel.ParseConfig(name, data)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// appInfo combines trustcheck.yaml and the quick-mode flags (which win).
func appInfo(o Options, cfg *trustmodel.Config) (rules.AppInfo, error) {
	var info rules.AppInfo
	if cfg != nil {
		info.Spec = cfg.App
	}
	if o.Framework != "" {
		info.Spec.Framework = o.Framework
	}
	if o.FrameworkVersion != "" {
		info.Spec.FrameworkVersion = o.FrameworkVersion
	}
	if o.TrustProxySet {
		v, err := ParseYAMLValue(o.TrustProxy)
		if err != nil {
			return info, fmt.Errorf("--trust-proxy: %v", err)
		}
		info.Spec.TrustProxy, info.Spec.TrustProxySet = v, true
		info.Spec.TrustProxyPos = trustmodel.Pos{}
	}
	if !info.Spec.TrustProxySet {
		return info, nil
	}
	ev, err := frameworks.New(trustmodel.App{
		Framework: info.Spec.Framework, Version: info.Spec.FrameworkVersion,
		TrustProxy: info.Spec.TrustProxy, TrustProxySet: true,
		Options: info.Spec.Options, Session: info.Spec.Session,
	})
	if err != nil {
		var unsupported *trustmodel.UnsupportedError
		if errors.As(err, &unsupported) {
			return info, fmt.Errorf("%s%v", blame(o, info.Spec.Pos, err), err)
		}
		info.TrustError = err.Error() // TC108 reports it
		return info, nil
	}
	info.Evaluator = ev
	return info, nil
}

// blame names where the value an evaluator refused came from: the flag
// that set it, else trustcheck.yaml's app.
func blame(o Options, appPos trustmodel.Pos, err error) string {
	aboutVersion := strings.Contains(err.Error(), "version")
	switch {
	case aboutVersion && o.FrameworkVersion != "":
		return "--framework-version: "
	case !aboutVersion && o.Framework != "":
		return "--framework: "
	}
	return posPrefix(appPos)
}

func posPrefix(p trustmodel.Pos) string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", p.File, p.Line)
}

// mergeSharedRoots reports a root cause once: findings of one rule at one
// place (a directive in a shared snippet included by many servers) become
// one finding whose related positions name every affected place. It works
// in fs's own array: a fleet has tens of thousands of findings.
func mergeSharedRoots(fs []rules.Finding) []rules.Finding {
	type key struct {
		rule string
		pos  trustmodel.Pos
	}
	index := map[key]int{}
	merged := map[int]bool{} // out[i].Related is its own copy
	out := fs[:0]
	for _, f := range fs {
		k := key{f.Rule, f.Pos}
		i, seen := index[k]
		if !seen {
			index[k] = len(out)
			out = append(out, f)
			continue
		}
		if !merged[i] {
			merged[i] = true
			out[i].Related = slices.Clone(out[i].Related)
		}
		out[i].Related = append(out[i].Related, f.Related...)
	}
	for i := range out {
		rel := out[i].Related
		if !merged[i] && tidyRelated(rel, out[i].Pos) {
			continue // a rule's list may be shared with its other findings: left as it is
		}
		if !merged[i] {
			rel = slices.Clone(rel)
		}
		slices.SortFunc(rel, comparePos)
		rel = slices.Compact(rel)
		out[i].Related = slices.DeleteFunc(rel, func(p trustmodel.Pos) bool { return p == out[i].Pos || p.File == "" })
	}
	clear(fs[len(out):]) // the merged findings' texts can go
	return out
}

// tidyRelated reports whether rel is already what mergeSharedRoots makes
// of it: sorted, without repeats, pos or positions without a file.
func tidyRelated(rel []trustmodel.Pos, pos trustmodel.Pos) bool {
	for i, p := range rel {
		if p == pos || p.File == "" || i > 0 && comparePos(rel[i-1], p) >= 0 {
			return false
		}
	}
	return true
}

func comparePos(a, b trustmodel.Pos) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	return a.Line - b.Line
}

func sortFindings(fs []rules.Finding) {
	slices.SortStableFunc(fs, func(a, b rules.Finding) int {
		if c := comparePos(a.Pos, b.Pos); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}
