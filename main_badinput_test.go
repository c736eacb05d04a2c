package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The bad-input suite drives run() with inputs a CI job or a careless user
// may hand trustcheck. Each case must end in bounded time with the expected
// exit code and, where it fails, exactly one stderr line that names the file
// (and the line where there is one), never a stack trace.

const badInputApp = "version: 1\napp:\n  framework: express\n  framework_version: \"5\"\n  trust_proxy: loopback\n  listen: 127.0.0.1:3000\n"

const badInputGood = "http { server { listen 80; location / { proxy_pass http://127.0.0.1:3000; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }\n"

// hangGuard bounds one case: a generous limit that only a hang reaches.
const hangGuard = 30 * time.Second

type badInput struct {
	name string
	// setup writes the inputs into dir and returns trustcheck's arguments.
	setup func(t *testing.T, dir string) []string
	// codes are the acceptable exit codes; 2 means one stderr error line.
	codes []int
	// mention are substrings the stderr line must contain (file, file:line).
	mention []string
	// unprivileged runs the case as an ordinary user: root reads any file,
	// so when the suite runs as root (CI) the case runs in a child process
	// as nobody, its inputs in a directory that user can search.
	unprivileged bool
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// withApp writes the good trustcheck.yaml and returns the lint arguments.
func withApp(t *testing.T, dir string, inputs ...string) []string {
	write(t, filepath.Join(dir, "app.yaml"), badInputApp)
	return append([]string{"lint", "--no-color", "--app", filepath.Join(dir, "app.yaml")}, inputs...)
}

// withYAML lints the good nginx file with the given trustcheck.yaml.
func withYAML(t *testing.T, dir, yaml string) []string {
	write(t, filepath.Join(dir, "nginx.conf"), badInputGood)
	write(t, filepath.Join(dir, "bad.yaml"), yaml)
	return []string{"lint", "--no-color", "--app", filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "nginx.conf")}
}

// needKmsg skips where /proc/kmsg, whose read waits for the kernel, cannot
// be opened.
func needKmsg(t *testing.T) {
	t.Helper()
	f, err := os.Open("/proc/kmsg")
	if err != nil {
		t.Skipf("no readable /proc/kmsg here: %v", err)
	}
	f.Close()
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("app:\n  framework: express\n  trust_proxy:\n")
	b.WriteString(`    - &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]` + "\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString("    - &" + n + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ") + "]\n")
		prev = n
	}
	return b.String()
}

func badInputs() []badInput {
	return []badInput{
		{name: "missing file", codes: []int{2}, mention: []string{"nope.conf"},
			setup: func(t *testing.T, dir string) []string { return withApp(t, dir, filepath.Join(dir, "nope.conf")) }},
		{name: "empty directory", codes: []int{2}, mention: []string{"empty"},
			setup: func(t *testing.T, dir string) []string {
				if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
					t.Fatal(err)
				}
				return withApp(t, dir, filepath.Join(dir, "empty"))
			}},
		{name: "permission denied", codes: []int{2}, mention: []string{"secret.conf"}, unprivileged: true,
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "secret.conf")
				write(t, p, badInputGood)
				if err := os.Chmod(p, 0); err != nil {
					t.Fatal(err)
				}
				return withApp(t, dir, p)
			}},
		{name: "binary file", codes: []int{2}, mention: []string{"bin.conf"},
			setup: func(t *testing.T, dir string) []string {
				b := make([]byte, 4096)
				for i := range b {
					b[i] = byte(i * 7)
				}
				write(t, filepath.Join(dir, "bin.conf"), "\x7fELF"+string(b))
				return withApp(t, dir, filepath.Join(dir, "bin.conf"))
			}},
		{name: "16 MB comment (valid, large)", codes: []int{0, 1},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "big.conf"), "# "+strings.Repeat("x", 16<<20)+"\n"+badInputGood)
				return withApp(t, dir, filepath.Join(dir, "big.conf"))
			}},
		// Files over 4 MiB are parsed as they are read, up to 256 MiB: a
		// one-file fleet of 100,000 servers is 108 MiB.
		{name: "300 MB file", codes: []int{2}, mention: []string{"big.conf", "300 MiB is larger than the 256 MiB"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "big.conf"), badInputGood)
				if err := os.Truncate(filepath.Join(dir, "big.conf"), 300<<20); err != nil { // sparse
					t.Fatal(err)
				}
				return withApp(t, dir, filepath.Join(dir, "big.conf"))
			}},
		{name: "5 MB of server blocks, the last unterminated", codes: []int{2},
			mention: []string{fmt.Sprintf("big.conf:%d:", (5<<20)/len(badInputGood)+1), `unexpected "}"`},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "big.conf"), strings.Repeat(badInputGood, (5<<20)/len(badInputGood))+"http { server { listen 80 } }\n")
				return withApp(t, dir, filepath.Join(dir, "big.conf"))
			}},
		{name: "5 MB of server blocks, a NUL at the head", codes: []int{2}, mention: []string{"big.conf", "not a text file"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "big.conf"), "#\x00\n"+strings.Repeat(badInputGood, (5<<20)/len(badInputGood)))
				return withApp(t, dir, filepath.Join(dir, "big.conf"))
			}},
		{name: "100 MB single token", codes: []int{2}, mention: []string{"tok.conf"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "tok.conf"), strings.Repeat("a", 100<<20))
				return withApp(t, dir, filepath.Join(dir, "tok.conf"))
			}},
		{name: "64 KB single token", codes: []int{2}, mention: []string{"tok.conf:1"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "tok.conf"), strings.Repeat("a", 64<<10))
				return withApp(t, dir, filepath.Join(dir, "tok.conf"))
			}},
		{name: "include /dev/zero", codes: []int{2}, mention: []string{"zero.conf:1"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "zero.conf"), "http { include /dev/zero; }\n")
				return withApp(t, dir, filepath.Join(dir, "zero.conf"))
			}},
		// A regular file by its mode whose read waits for the kernel (the
		// fuzzer reached it through "include /**c/*").
		{name: "include /proc/kmsg", codes: []int{2}, mention: []string{"kmsg.conf:1", "/proc/kmsg"},
			setup: func(t *testing.T, dir string) []string {
				needKmsg(t)
				write(t, filepath.Join(dir, "kmsg.conf"), "http { include /proc/kmsg; }\n")
				return withApp(t, dir, filepath.Join(dir, "kmsg.conf"))
			}},
		{name: "/proc/kmsg as the nginx argument", codes: []int{2}, mention: []string{"/proc/kmsg"},
			setup: func(t *testing.T, dir string) []string {
				needKmsg(t)
				return withApp(t, dir, "/proc/kmsg")
			}},
		{name: "--app /proc/kmsg", codes: []int{2}, mention: []string{"/proc/kmsg"},
			setup: func(t *testing.T, dir string) []string {
				needKmsg(t)
				write(t, filepath.Join(dir, "nginx.conf"), badInputGood)
				return []string{"lint", "--app", "/proc/kmsg", filepath.Join(dir, "nginx.conf")}
			}},
		{name: "--app /dev/zero", codes: []int{2}, mention: []string{"/dev/zero"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "nginx.conf"), badInputGood)
				return []string{"lint", "--app", "/dev/zero", filepath.Join(dir, "nginx.conf")}
			}},
		// Each nested location starts with its parent's name, as nginx
		// requires.
		{name: "10,000-deep nested locations", codes: []int{0, 1},
			setup: func(t *testing.T, dir string) []string {
				var b strings.Builder
				b.WriteString("http { server { listen 80;\n")
				for i := 0; i < 10000; i++ {
					b.WriteString("location /a/ {\n")
				}
				b.WriteString("proxy_pass http://127.0.0.1:3000;\n")
				b.WriteString(strings.Repeat("}\n", 10000))
				b.WriteString("} }\n")
				write(t, filepath.Join(dir, "deep.conf"), b.String())
				return withApp(t, dir, filepath.Join(dir, "deep.conf"))
			}},
		{name: "10,000 unclosed blocks", codes: []int{2}, mention: []string{"open.conf"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "open.conf"), "http {\n"+strings.Repeat("server {\n", 10000))
				return withApp(t, dir, filepath.Join(dir, "open.conf"))
			}},
		{name: "include cycle", codes: []int{2}, mention: []string{"b.conf:1", "a.conf"},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "a.conf"), "http { include b.conf; }\n")
				write(t, filepath.Join(dir, "b.conf"), "include a.conf;\n")
				return withApp(t, dir, filepath.Join(dir, "a.conf"))
			}},
		{name: "include glob explosion (4,000 files x3)", codes: []int{0, 1},
			setup: func(t *testing.T, dir string) []string {
				for i := 0; i < 20; i++ {
					for j := 0; j < 20; j++ {
						d := filepath.Join(dir, "g", fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", j))
						if err := os.MkdirAll(d, 0o755); err != nil {
							t.Fatal(err)
						}
						for k := 0; k < 10; k++ {
							if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("c%d.conf", k)), []byte("# empty\n"), 0o644); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
				write(t, filepath.Join(dir, "glob.conf"), "include g/a*/b*/c*; include g/a*/b*/c*; include g/a*/b*/c*;\n"+badInputGood)
				return withApp(t, dir, filepath.Join(dir, "glob.conf"))
			}},
		{name: "symlink loop (include)", codes: []int{2}, mention: []string{"sl.conf:1"},
			setup: func(t *testing.T, dir string) []string {
				symlinkLoop(t, dir)
				write(t, filepath.Join(dir, "sl.conf"), "http { include loop1; }\n")
				return withApp(t, dir, filepath.Join(dir, "sl.conf"))
			}},
		{name: "symlink loop (argument)", codes: []int{2}, mention: []string{"loop1"},
			setup: func(t *testing.T, dir string) []string {
				symlinkLoop(t, dir)
				return withApp(t, dir, filepath.Join(dir, "loop1"))
			}},
		{name: "directory symlink cycle", codes: []int{0, 1, 2},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "tree", "site.conf"), badInputGood)
				if err := os.Symlink("..", filepath.Join(dir, "tree", "up")); err != nil {
					t.Fatal(err)
				}
				return withApp(t, dir, filepath.Join(dir, "tree"))
			}},
		{name: "invalid UTF-8 in nginx (valid, odd)", codes: []int{0, 1},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "utf.conf"), "http { server { server_name \xff\xfe\xc3; location / { proxy_pass http://127.0.0.1:3000; } } }\n")
				return withApp(t, dir, filepath.Join(dir, "utf.conf"))
			}},
		{name: "invalid UTF-8 in YAML", codes: []int{2}, mention: []string{"bad.yaml"},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app: {framework: \xff\xfe}\n")
			}},
		{name: "YAML syntax error", codes: []int{2}, mention: []string{"bad.yaml:2"},
			setup: func(t *testing.T, dir string) []string { return withYAML(t, dir, "app:\n\t- x\n") }},
		{name: "YAML alias bomb", codes: []int{2}, mention: []string{"bad.yaml:"},
			setup: func(t *testing.T, dir string) []string { return withYAML(t, dir, aliasBomb()) }},
		{name: "YAML unknown key", codes: []int{2}, mention: []string{"bad.yaml:3", "colour"},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app:\n  framework: express\n  colour: red\n")
			}},
		{name: "YAML wrong type", codes: []int{2}, mention: []string{"bad.yaml:2", "app.framework"},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app:\n  framework: [express]\n")
			}},
		{name: "YAML version not a number", codes: []int{2}, mention: []string{"bad.yaml:1"},
			setup: func(t *testing.T, dir string) []string { return withYAML(t, dir, "version: one\n") }},
		{name: "YAML duplicate option key", codes: []int{2}, mention: []string{"bad.yaml:1"},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app: {framework: koa, trust_proxy: true, options: {A: 1, A: 2}}\n")
			}},
		{name: "YAML invalid listen", codes: []int{2}, mention: []string{"bad.yaml:2", "app.listen"},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app:\n  listen: 300.0.0.1:99999\n")
			}},
		{name: "YAML invalid edge CIDR", codes: []int{2}, mention: []string{"bad.yaml:"},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "edge:\n  - name: cdn\n    addresses: [10.0.0.0/33]\n")
			}},
		{name: "trust_proxy invalid CIDR (TC108 finding)", codes: []int{1},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app: {framework: express, trust_proxy: \"10.0.0.0/33\"}\n")
			}},
		{name: "trust_proxy a mapping (TC108 finding)", codes: []int{1},
			setup: func(t *testing.T, dir string) []string {
				return withYAML(t, dir, "app: {framework: express, trust_proxy: {a: 1}}\n")
			}},
		{name: "--trust-proxy with a newline (simulate)", codes: []int{2}, mention: []string{"invalid IP address"},
			setup: func(t *testing.T, dir string) []string {
				return []string{"simulate", "--trust-proxy", "\"10.0.0.1\nevil\"", "--peer", "127.0.0.1"}
			}},
		{name: "nginx invalid set_real_ip_from CIDR", codes: []int{0, 1},
			setup: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "ri.conf"), "http { set_real_ip_from 10.0.0.0/33; real_ip_header X-Forwarded-For; "+strings.TrimPrefix(badInputGood, "http {"))
				return withApp(t, dir, filepath.Join(dir, "ri.conf"))
			}},
	}
}

func symlinkLoop(t *testing.T, dir string) {
	t.Helper()
	if err := os.Symlink("loop2", filepath.Join(dir, "loop1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop1", filepath.Join(dir, "loop2")); err != nil {
		t.Fatal(err)
	}
}

type runResult struct {
	stdout, stderr string
	code           int
}

// runBounded runs trustcheck with args, failing the test after hangGuard (or
// before the test's own deadline).
func runBounded(t *testing.T, args []string) (runResult, time.Duration) {
	t.Helper()
	limit := hangGuard
	if d, ok := t.Deadline(); ok && time.Until(d)-5*time.Second < limit {
		limit = max(time.Until(d)-5*time.Second, time.Second)
	}
	done := make(chan runResult, 1)
	start := time.Now()
	go func() {
		var out, errOut bytes.Buffer
		code := run(append([]string{"trustcheck"}, args...), strings.NewReader(""), &out, &errOut)
		done <- runResult{out.String(), errOut.String(), code}
	}()
	select {
	case r := <-done:
		return r, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("no result after %v (hang guard)", limit)
		return runResult{}, 0
	}
}

// childArgsEnv carries a child's arguments to TestBadInputChild.
const childArgsEnv = "TRUSTCHECK_BADINPUT_ARGS"

// TestBadInputChild is run() in a child process started by runAsNobody.
func TestBadInputChild(t *testing.T) {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		t.Skip("runs only as runAsNobody's child")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(append([]string{"trustcheck"}, args...), strings.NewReader(""), os.Stdout, os.Stderr))
}

// searchableDir is a temporary directory every user can search (t.TempDir's
// is root's alone).
func searchableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "trustcheck-badinput-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// problems lists how r falls short of c.
func (c badInput) problems(r runResult) []string {
	var p []string
	okCode := false
	for _, code := range c.codes {
		okCode = okCode || code == r.code
	}
	if !okCode {
		p = append(p, fmt.Sprintf("exit %d, want one of %v", r.code, c.codes))
	}
	for _, s := range []string{"goroutine ", "panic:", "runtime error", ".go:"} {
		if strings.Contains(r.stderr, s) {
			p = append(p, fmt.Sprintf("stderr has %q (a stack trace?)", s))
		}
	}
	if r.code == 2 {
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if len(lines) != 1 || !strings.HasSuffix(r.stderr, "\n") {
			p = append(p, fmt.Sprintf("want exactly one stderr line, got %d: %q", len(lines), r.stderr))
		}
		for _, m := range c.mention {
			if !strings.Contains(r.stderr, m) {
				p = append(p, fmt.Sprintf("stderr does not mention %q: %q", m, r.stderr))
			}
		}
	}
	return p
}

func TestBadInput(t *testing.T) {
	for _, c := range badInputs() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.unprivileged && os.Geteuid() == 0 {
				dir = searchableDir(t)
			}
			args := c.setup(t, dir)
			var r runResult
			var took time.Duration
			if c.unprivileged && os.Geteuid() == 0 {
				r, took = runAsNobody(t, args)
			} else {
				r, took = runBounded(t, args)
			}
			first, _, _ := strings.Cut(r.stderr, "\n")
			t.Logf("exit %d in %v; stderr: %s", r.code, took.Round(time.Millisecond), strings.ReplaceAll(first, dir, "$DIR"))
			if p := c.problems(r); len(p) > 0 {
				t.Error(strings.Join(p, "\n"))
			}
		})
	}
}

// TestCRLFLintsLikeLF: CRLF line endings lint exactly like LF ones.
func TestCRLFLintsLikeLF(t *testing.T) {
	conf := "http {\n  server {\n    listen 80;\n    location / {\n      proxy_pass http://127.0.0.1:3000;\n    }\n  }\n}\n"
	var outs [2]runResult
	for i, eol := range []string{"\n", "\r\n"} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "nginx.conf"), strings.ReplaceAll(conf, "\n", eol))
		args := withApp(t, dir, filepath.Join(dir, "nginx.conf"))
		args = append([]string{args[0], "--format", "json"}, args[1:]...)
		r, took := runBounded(t, args)
		t.Logf("eol %q: exit %d in %v", eol, r.code, took.Round(time.Millisecond))
		if r.code == 2 {
			t.Fatalf("eol %q: exit 2: %s", eol, r.stderr)
		}
		r.stdout = strings.ReplaceAll(r.stdout, dir, "$DIR")
		outs[i] = r
	}
	if outs[0].code != outs[1].code || outs[0].stdout != outs[1].stdout {
		t.Errorf("CRLF differs from LF:\nLF   exit %d: %s\nCRLF exit %d: %s", outs[0].code, outs[0].stdout, outs[1].code, outs[1].stdout)
	}
}
