//go:build linux

package nginxconf

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/internal/nginxtest"
	"github.com/trustcheck/trustcheck/internal/parallel"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// The nginx-refusal truth test: the installed nginx -t and Load refuse the
// same configurations, with the same words at the same file:line.
//
// testdata/nginx/refused holds one malformed configuration per kind of
// refusal; its first line says what nginx answers: "# refused: MESSAGE"
// (Load fails with it) or "# note: MESSAGE" (an unknown directive: nginx
// refuses it, Load notes it, since a third-party module's directives must
// not stop a lint). Every other configuration of the repository and of the
// shared corpus is run by both as well: what nginx accepts Load must
// accept, and what nginx refuses for its structure Load must refuse alike.
// nginx's refusals that depend on the machine rather than on the text (a
// missing file, user or certificate, a host name that does not resolve, a
// directive of a module Debian's nginx-light lacks) are skipped and counted.

const refusedDir = "../testdata/nginx/refused"

// nginxEmergRE is nginx -t's first refusal: "[emerg] PID#TID: MESSAGE in FILE:LINE".
var nginxEmergRE = regexp.MustCompile(`\[emerg\] \d+#\d+: (.*?)(?: in (\S+):(\d+))?$`)

type nginxAnswer struct {
	ok   bool
	msg  string
	file string
	line int
}

// nginxTest runs nginx -t on conf with dir as its prefix.
func nginxTest(t *testing.T, bin, dir, conf string) nginxAnswer {
	t.Helper()
	out, err := exec.Command(bin, "-t", "-q", "-p", dir+"/", "-c", conf, "-e", "stderr").CombinedOutput()
	if err == nil {
		return nginxAnswer{ok: true}
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if m := nginxEmergRE.FindStringSubmatch(sc.Text()); m != nil {
			line, _ := strconv.Atoi(m[3])
			return nginxAnswer{msg: m[1], file: m[2], line: line}
		}
	}
	t.Fatalf("nginx -t %s: %v, and no [emerg] line in\n%s", conf, err, out)
	return nginxAnswer{}
}

func TestNginxRefusesAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nginx -t; skipped in -short mode")
	}
	bin, version := installedNginx(t)
	files, _ := filepath.Glob(filepath.Join(refusedDir, "*.conf"))
	if len(files) < 40 {
		t.Fatalf("%d malformed fixtures in %s, want at least 40", len(files), refusedDir)
	}
	refused, noted := 0, 0
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".conf"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := strings.Cut(string(data), "\n")
			kind, want, ok := strings.Cut(strings.TrimPrefix(head, "# "), ": ")
			if !ok || kind != "refused" && kind != "note" {
				t.Fatalf("first line %q, want \"# refused: MESSAGE\" or \"# note: MESSAGE\"", head)
			}
			abs, _ := filepath.Abs(f)
			ng := nginxTest(t, bin, t.TempDir(), abs)
			if ng.ok || ng.msg != want || ng.file != abs {
				t.Fatalf("nginx -t: %+v, want a refusal %q in %s", ng, want, abs)
			}
			cfg, err := Load(LoadOptions{NginxVersion: version}, abs)
			if kind == "note" {
				if err != nil {
					t.Fatalf("Load: %v, want a note %q", err, want)
				}
				for _, w := range cfg.Warnings {
					if w.Pos.Line == ng.line && strings.HasPrefix(w.Message, want) {
						noted++
						return
					}
				}
				t.Fatalf("no note %q at line %d: %v", want, ng.line, cfg.Warnings)
			}
			wantErr := Diagnostic{Pos: trustmodel.Pos{File: abs, Line: ng.line}, Message: want}.String()
			var le *LoadError
			if !errors.As(err, &le) || le.Diagnostics[0].String() != wantErr {
				t.Fatalf("Load: %v\nwant %s", err, wantErr)
			}
			refused++
		})
	}
	t.Logf("nginx %s: %d malformed fixtures, %d refused by both alike, %d refused by nginx as unknown directives and noted by trustcheck",
		version, len(files), refused, noted)
}

// TestNginxAcceptsAlike runs every other configuration of the repository
// and of the shared corpus through nginx -t and Load, each where it
// belongs: a main file as it is (with an events block if it has none), a
// conf.d file inside http, a server or location body inside one.
func TestNginxAcceptsAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nginx -t; skipped in -short mode")
	}
	bin, version := installedNginx(t)
	var files []string
	for _, root := range []string{"../testdata", "../examples", corpusDir} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p == refusedDir {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() && (strings.HasSuffix(p, ".conf") || strings.HasSuffix(p, ".conf.sample")) {
				files = append(files, p)
			}
			return nil
		})
	}
	tables := tablesFor(mustVersion(t, version))
	links := map[string]string{} // a source directory: the directory of links to its entries
	type run struct {
		file, wrapper string
		ng            nginxAnswer
	}
	var runs []*run
	skipped := map[string]int{}
	for _, f := range files {
		wrapper, ok := wrap(t, f, tables, links)
		if !ok {
			skipped["fits no one context on its own"]++
			continue
		}
		runs = append(runs, &run{file: f, wrapper: wrapper})
	}
	parallel.Do(len(runs), func(i int) { runs[i].ng = nginxTest(t, bin, filepath.Dir(runs[i].wrapper), runs[i].wrapper) })
	var accepted, refusedAlike, notedAlike, refusedOtherwise int
	for _, r := range runs {
		f, ng := r.file, r.ng
		if reason := machineDependent(ng, tables); reason != "" {
			skipped[reason]++
			continue
		}
		if reason := notModelled(ng); reason != "" {
			skipped[reason]++
			continue
		}
		cfg, err := Load(LoadOptions{NginxVersion: version}, r.wrapper)
		var le *LoadError
		errors.As(err, &le)
		switch {
		case ng.ok:
			if err != nil {
				t.Errorf("%s: nginx -t accepts it, Load: %v", f, err)
				continue
			}
			accepted++
		case strings.HasPrefix(ng.msg, "unknown directive "):
			found := false
			if err == nil {
				for _, w := range cfg.Warnings {
					found = found || w.Pos.File == ng.file && w.Pos.Line == ng.line && strings.HasPrefix(w.Message, ng.msg)
				}
			}
			if !found {
				t.Errorf("%s: nginx -t: %s in %s:%d; Load: %v, no such note", f, ng.msg, ng.file, ng.line, err)
				continue
			}
			notedAlike++
		case le != nil && slices.Contains(le.Diagnostics, Diagnostic{Pos: trustmodel.Pos{File: ng.file, Line: ng.line}, Message: ng.msg}):
			refusedAlike++ // nginx stops at the first error it meets, Load lists them by file
		case le != nil && slices.ContainsFunc(le.Diagnostics, otherwiseRefused):
			// nginx has no cycle check: it recurses into the included
			// file until something in it is out of place; a file that is
			// not nginx syntax at all is read differently from its first
			// wrong token on.
			refusedOtherwise++
		default:
			t.Errorf("%s: nginx -t refuses it: %s\nLoad: %v", f, Diagnostic{Pos: trustmodel.Pos{File: ng.file, Line: ng.line}, Message: ng.msg}, err)
		}
	}
	var reasons []string
	for r, n := range skipped {
		reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(reasons)
	t.Logf("nginx %s: %d configurations: %d accepted by both, %d refused by both alike, %d refused by both (an include cycle or a syntax error read differently), %d unknown directives refused by nginx and noted; skipped: %s",
		version, len(files), accepted, refusedAlike, refusedOtherwise, notedAlike, strings.Join(reasons, ", "))
	if accepted < 40 {
		t.Errorf("only %d configurations accepted by both; the comparison covers too little", accepted)
	}
}

// otherwiseRefused: Load's refusal of an include cycle or of a token.
func otherwiseRefused(d Diagnostic) bool {
	return strings.Contains(d.Message, "creates a cycle") || strings.HasPrefix(d.Message, "unexpected ")
}

// notModelled names the refusals of nginx's handlers that Load does not
// repeat (it reads the values as nginx would use them, but not every
// malformed one); "" for anything else.
func notModelled(ng nginxAnswer) string {
	switch {
	case strings.HasPrefix(ng.msg, "invalid range "):
		return "a geo range (not checked)"
	case ng.msg == `unexpected "-"`:
		return "a quoted token followed by more text (crossplane's lexer joins them)"
	case strings.HasPrefix(ng.msg, "duplicate listen options"):
		return "listen options given twice for one address (not checked)"
	case strings.HasPrefix(ng.msg, "pcre") || strings.Contains(ng.msg, "regular expression"):
		return "a regular expression PCRE refuses (not checked)"
	case ng.msg == `invalid parameter "resolve"`:
		return "an upstream server's resolve, which nginx has only since 1.27.3 (not checked by version)"
	}
	return ""
}

// installedNginx is the nginx binary and its version, or a skip.
func installedNginx(t *testing.T) (bin, version string) {
	t.Helper()
	bin, ok := nginxtest.Binary()
	if !ok {
		t.Skip("no nginx binary at /usr/sbin/nginx or on PATH (apt-get install nginx-light)")
	}
	out, _ := exec.Command(bin, "-v").CombinedOutput()
	m := regexp.MustCompile(`nginx/(\d+\.\d+\.\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s -v: no version in %q", bin, out)
	}
	return bin, string(m[1])
}

func mustVersion(t *testing.T, s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// machineDependent names why nginx refused something that depends on the
// machine, not on the text; "" for anything else.
func machineDependent(ng nginxAnswer, tables directiveTables) string {
	if ng.ok {
		return ""
	}
	for _, env := range []struct{ re, reason string }{
		{`^open\(\) "[^"]*" failed`, "a file it names is missing here"},
		{`^host not found`, "a host name does not resolve here"},
		{`^no port in upstream`, "an upstream's host is resolved at start-up"},
		{`^(cannot load certificate|cannot load certificate key|BIO_new_file|SSL_CTX_use|no "ssl_certificate")`, "a TLS file is missing here"},
		{`^getpwnam|^getgrnam`, "a user or group is missing here"},
		{`^mkdir\(\)|^stat\(\)|^realpath\(\)|^dlopen\(\)`, "a path is missing here"},
		{`^no "events" section`, "a fragment without events"},
		{`^could not build|^no resolver`, "nginx's start-up, not its parser"},
		{`^unknown "[^"]+" variable`, "a variable of a module nginx-light lacks or of a missing map"},
		{`^no "?ssl_certificate`, "a TLS file is missing here"},
	} {
		if regexp.MustCompile(env.re).MatchString(ng.msg) {
			return env.reason
		}
	}
	if name, ok := strings.CutPrefix(ng.msg, "unknown directive "); ok {
		if n, err := strconv.Unquote(name); err == nil && tables.known(n) {
			return "a directive of a module nginx-light lacks"
		}
	}
	return ""
}

// wrap writes a main configuration that holds f where it belongs, into a
// directory of links to the entries of f's own (its relative includes
// resolve as they would beside it), one such directory per source
// directory. ok is false for a file that fits no one context.
func wrap(t *testing.T, f string, tables directiveTables, links map[string]string) (wrapper string, ok bool) {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	dirs, _, diags := parseBytes(f, data)
	top := map[string]bool{}
	for _, d := range dirs {
		top[d.Name] = true
	}
	fits := func(ctx uint) bool {
		for name := range top {
			masks := tables.lookup(name)
			if len(masks) == 0 {
				continue
			}
			allowed := false
			for _, m := range masks {
				allowed = allowed || m&ctx != 0
			}
			if !allowed {
				return false
			}
		}
		return true
	}
	base := filepath.Base(f)
	inc := "include " + strconv.Quote(base) + ";\n"
	var text string
	switch {
	case len(diags) > 0 || fits(ctxMain):
		// events after the file: load_module must come before it
		text = inc
		if !top["events"] && !strings.Contains(string(data), "events") {
			text += "events {}\n"
		}
	case fits(ctxHTTPMain):
		text = "events {}\nhttp {\n" + inc + "}\n"
	case fits(ctxHTTPSrv):
		text = "events {}\nhttp {\nserver {\n" + inc + "}\n}\n"
	case fits(ctxHTTPLoc):
		text = "events {}\nhttp {\nserver {\nlocation / {\n" + inc + "}\n}\n}\n"
	default:
		return "", false
	}
	src, _ := filepath.Abs(filepath.Dir(f))
	dir, ok := links[src]
	if !ok {
		dir = t.TempDir()
		links[src] = dir
		ents, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	wrapper = filepath.Join(dir, "trustcheck-wrapper-"+base)
	if err := os.WriteFile(wrapper, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return wrapper, true
}
