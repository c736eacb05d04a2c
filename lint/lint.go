// Package lint runs trustcheck's commands: it loads the inputs, builds the
// paths, runs the rules and renders the findings.
package lint

import (
	"errors"
	"fmt"
	"io"
	"iter"
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
	// Summary is a file to write the Markdown job summary to ("" = none);
	// SummaryAppend adds to it (GITHUB_STEP_SUMMARY) rather than replacing it.
	Summary       string
	SummaryAppend bool
	// LinkBase makes the summary's links to lines absolute: a repository's
	// blob URL at a commit ("https://github.com/o/r/blob/SHA/"), or "".
	LinkBase string
}

// Report is the outcome of one lint run, ready to render.
type Report struct {
	Findings Findings
	// Notes say what the run could not check and why.
	Notes []string
	Files int
	// diagrams are the paths a report draws (html, the job summary);
	// omittedDiagrams counts the paths left undrawn past their limit, and
	// app names the app the results are for.
	diagrams        []pathView
	omittedDiagrams int
	app             string
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
	// The budget lint keeps holds through rendering too: a finding naming
	// a fleet's places renders to megabytes of short-lived objects.
	budget := newMemoryBudget()
	defer budget.release()
	rep, err := lintDrawing(o)
	if err != nil {
		return failed(err)
	}
	checkpoint("render")
	if err := render(stdout, rep, o); err != nil {
		return 2, err
	}
	if err := writeSummaryFile(rep, o); err != nil {
		return 2, err
	}
	if !o.Quiet && (o.Format == "" || o.Format == "text") { // the other formats carry the notes
		for _, n := range rep.Notes {
			fmt.Fprintf(stderr, "note: %s\n", n)
		}
	}
	if failOn != 0 && rep.Findings.MaxSeverity() >= failOn {
		return 1, nil
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
func lint(o Options, partSize int) (*Report, error) { return lintSeeing(o, partSize, nil) }

// lintSeeing is lint; seen, when set, sees each part's paths once the rules
// have checked them, before they are dropped (the diagrams of reports).
func lintSeeing(o Options, partSize int, seen func(rules.AppInfo, []*rules.Path)) (*Report, error) {
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
	// The budget holds from the load to the sorted findings.
	budget := newMemoryBudget()
	defer budget.release()
	pr, err := load(o, true)
	if err != nil {
		return nil, err
	}
	cfg, ng := pr.cfg, pr.ng
	apps := make([]*appRun, len(pr.apps))
	for i, app := range pr.apps {
		apps[i] = newAppRun(o, ng, cfg, app, enabled, len(pr.apps) > 1)
	}
	var others *rules.Pass
	if slices.Contains(enabled, rules.ByID("TC302")) {
		others = rules.NewPass(ng, cfg, rules.AppInfo{}, nil)
	}
	checkpoint("loaded")
	tg := newTargets()
	unknownPeer, proxies := checkParts(apps, others, tg, ng, partSize, seen)
	checkpoint("checked")
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
	for _, a := range apps {
		rep.Notes = append(rep.Notes, a.notes...)
	}
	rep.Notes = append(rep.Notes, tg.notes(apps)...)
	if unknownPeer > 0 && pr.apps[0].Evaluator != nil {
		rep.Notes = append(rep.Notes, unknownPeerNote(unknownPeer))
	}
	// Every pass finishes (its rules' whole-fleet judgements, which read
	// the servers) before the servers go; then each pass's findings are
	// decoded into the set, which keeps them encoded, and the pass goes: a
	// fleet's run to hundreds of thousands, many of them one root cause at
	// a shared snippet.
	finished := make([]iter.Seq[rules.Finding], len(apps))
	for i, a := range apps {
		finished[i] = a.pass.Finish(a.rules)
	}
	var othersFinished iter.Seq[rules.Finding]
	if others != nil {
		othersFinished = others.Finish([]*rules.Rule{rules.ByID("TC302")})
	}
	ng.DropServers()
	var set findingSet
	for i, a := range apps {
		spec := a.pass.App.Spec
		for f := range finished[i] {
			severityOfUse(&f, &spec)
			if len(apps) > 1 {
				f.App = spec.Name
			}
			set.add(f)
		}
		a.pass, finished[i] = nil, nil
	}
	if othersFinished != nil {
		for f := range othersFinished {
			f.Severity = rules.Info // a service nobody described may need the client's Host
			f.App = "another service"
			set.add(f)
		}
	}
	checkpoint("finished")
	set.suppress(ng, cfg, ruleSet(enabled))
	set.foldConsequences()
	set.sort()
	findings, n := set.findings(fileLines(ng))
	if n > 0 {
		what := fmt.Sprintf("%d fixes keep only their message: their edits do not", n)
		if n == 1 {
			what = "1 fix keeps only its message: its edits do not"
		}
		rep.Notes = append(rep.Notes, what+" match the files' text (standard input, or a file changed while it was read)")
	}
	rep.Findings = findings
	return rep, nil
}

// newAppRun prepares one app's pass: the rules that need a trust setting
// are skipped, and said so, when the app's is unknown.
func newAppRun(o Options, ng *nginxconf.Config, cfg *trustmodel.Config, app rules.AppInfo, enabled []*rules.Rule, several bool) *appRun {
	r := &appRun{rules: enabled}
	if app.Evaluator == nil {
		var skipped []string
		r.rules = nil
		for _, rule := range enabled {
			if rule.NeedsApp {
				skipped = append(skipped, rule.ID)
			} else {
				r.rules = append(r.rules, rule)
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
			if several {
				why = app.Spec.AppLabel() + ": " + why
			}
			r.notes = append(r.notes, fmt.Sprintf("skipped %s: %s, so what the app believes cannot be computed", strings.Join(skipped, ", "), why))
		}
	}
	r.pass = rules.NewPass(ng, cfg, app, nil)
	r.pb = newPathBuilder(cfg, app)
	return r
}

// prepared is what every command that models the paths needs: the inputs
// loaded, the app's evaluator built, and the paths replayed (Lint, paths).
type prepared struct {
	cfg *trustmodel.Config // nil when there is no trustcheck.yaml
	ng  *nginxconf.Config
	// apps are the apps behind nginx, at least one (whose trust may be
	// unknown); app is the first.
	apps []rules.AppInfo
	app  rules.AppInfo
	// paths are buildPaths' paths of every app, app after app; pathApp[i]
	// is the index in apps of the app paths[i] reaches. unknownPeer counts
	// the places left out because nobody knows the address nginx connects
	// from.
	paths       []*rules.Path
	pathApp     []int
	unknownPeer int
}

// partServers is how many servers lint builds the proxies and paths of
// at a time.
const partServers = 64

// checkParts builds the proxies of ng's servers and the paths through them
// partSize servers at a time and runs each app's rules on the part's
// proxies it claims and the paths to it (the app's direct clients last),
// and TC302 on the proxies to other services; seen, when set, sees each
// app's paths of the part once checked; it returns how many proxies were
// left out for an unknown peer and how many there were. Once a part is checked its servers'
// locations and directives, its proxies, paths and replays are dropped, so
// a fleet's are never all held at once; the next part is built while the
// rules check this one.
func checkParts(apps []*appRun, others *rules.Pass, tg *targets, ng *nginxconf.Config, partSize int, seen func(rules.AppInfo, []*rules.Path)) (unknownPeer, proxies int) {
	type appPart struct {
		proxies []*nginxconf.Proxy
		paths   []*rules.Path
	}
	type part struct {
		servers []*nginxconf.Server
		apps    []appPart
		others  []*nginxconf.Proxy
		proxies int // of the part, claimed or not
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
			pt := part{servers: group, apps: make([]appPart, len(apps)), others: tg.add(apps, proxies), proxies: len(proxies)}
			for i, a := range apps {
				claimed := a.claimed(proxies)
				paths, unknown := a.pb.through(claimed)
				pt.apps[i] = appPart{claimed, paths}
				pt.unknown += unknown
			}
			parts <- pt
		}
		last := part{apps: make([]appPart, len(apps))}
		for i, a := range apps {
			last.apps[i].paths = a.pb.direct()
		}
		parts <- last
	}()
	for pt := range parts {
		unknownPeer += pt.unknown
		proxies += pt.proxies
		for i, a := range apps {
			a.pass.Check(a.rules, pt.servers, pt.apps[i].proxies, pt.apps[i].paths)
			if seen != nil {
				seen(a.pass.App, pt.apps[i].paths)
			}
		}
		if others != nil && len(pt.others) > 0 {
			others.Check([]*rules.Rule{rules.ByID("TC302")}, nil, pt.others, nil)
		}
		ng.ReleaseServers(pt.servers)
		checkpoint("part")
	}
	return unknownPeer, proxies
}

// prepare loads the inputs and builds every path.
func prepare(o Options) (*prepared, error) {
	pr, err := load(o, false)
	if err != nil {
		return nil, err
	}
	for i, app := range pr.apps {
		paths, unknown := buildPaths(pr.ng, pr.cfg, app)
		pr.paths = append(pr.paths, paths...)
		for range paths {
			pr.pathApp = append(pr.pathApp, i)
		}
		pr.unknownPeer += unknown
	}
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
	apps, err := appInfos(o, cfg)
	if err != nil {
		if deferProxies { // what the proxies have wrong is reported first, as without deferring
			ng.BuildProxies(ng.Servers)
			if perr := ng.ProxiesBuilt(); perr != nil {
				return nil, perr
			}
		}
		return nil, err
	}
	return &prepared{cfg: cfg, ng: ng, apps: apps, app: apps[0]}, nil
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

// appInfos combines trustcheck.yaml's apps and the quick-mode flags (which
// win, and describe the one app when the file describes none).
func appInfos(o Options, cfg *trustmodel.Config) ([]rules.AppInfo, error) {
	specs := []trustmodel.AppSpec{{}}
	if cfg != nil && len(cfg.Apps) > 0 {
		specs = cfg.Apps
	}
	quick := o.Framework != "" || o.FrameworkVersion != "" || o.TrustProxySet
	if quick && len(specs) > 1 {
		return nil, fmt.Errorf("%s describes %d apps; --framework, --framework-version and --trust-proxy describe one (edit the file instead)", cfg.File, len(specs))
	}
	out := make([]rules.AppInfo, len(specs))
	for i, spec := range specs {
		if o.Framework != "" {
			spec.Framework = o.Framework
		}
		if o.FrameworkVersion != "" {
			spec.FrameworkVersion = o.FrameworkVersion
		}
		if o.TrustProxySet {
			v, err := ParseYAMLValue(o.TrustProxy)
			if err != nil {
				return nil, fmt.Errorf("--trust-proxy: %v", err)
			}
			spec.TrustProxy, spec.TrustProxySet = v, true
			spec.TrustProxyPos = trustmodel.Pos{}
		}
		info, err := appInfo(o, spec)
		if err != nil {
			return nil, err
		}
		out[i] = info
	}
	return out, nil
}

// appInfo builds the app's evaluator: none while its trust setting is
// unknown, and the framework's own message when it rejects the setting.
// A Node app's trust is unknown until trust_proxy says it; the other
// frameworks' defaults are part of their description (SPEC §3.1).
func appInfo(o Options, spec trustmodel.AppSpec) (rules.AppInfo, error) {
	info := rules.AppInfo{Spec: spec}
	if !spec.TrustProxySet && trustmodel.NodeFramework(spec.Framework) {
		return info, nil
	}
	ev, err := frameworks.New(spec.EvaluatorApp())
	if err != nil {
		var unsupported *trustmodel.UnsupportedError
		if errors.As(err, &unsupported) {
			return info, fmt.Errorf("%s%v", blame(o, spec.Pos, err), err)
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

// heapCheckpoint, when a test sets it, is called at each stage of a lint
// ("part" after each part is checked): TestProfileFleet's heap profiles.
var heapCheckpoint func(stage string)

func checkpoint(stage string) {
	if heapCheckpoint != nil {
		heapCheckpoint(stage)
	}
}
