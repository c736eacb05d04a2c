package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// runCLI runs trustcheck with args and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"trustcheck"}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestSimulateTrustAllExplainsHopByHop(t *testing.T) {
	out, _, code := runCLI(t, "", "simulate", "--trust-proxy", "true", "--peer", "127.0.0.1",
		"-H", "X-Forwarded-For: 6.6.6.6, 203.0.113.7")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"hop 0  127.0.0.1    trusted    trust proxy is true: every address is trusted",
		"hop 1  203.0.113.7  trusted    trust proxy is true: every address is trusted",
		"hop 2  6.6.6.6      used       the farthest address is the client; it is never tested",
		"req.ip       = 6.6.6.6\n",
		"req.ips      = [6.6.6.6, 203.0.113.7]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSimulateStringOneTrustsOnlyTheAddress0001(t *testing.T) {
	out, _, code := runCLI(t, "", "simulate", "--trust-proxy", `"1"`, "--peer", "127.0.0.1",
		"-H", "X-Forwarded-For: 6.6.6.6")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{`trust: 0.0.0.1/32 (from "1")`, "hop 0  127.0.0.1  untrusted", "req.ip       = 127.0.0.1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The number 1 is one hop.
	out, _, _ = runCLI(t, "", "simulate", "--trust-proxy", "1", "--peer", "127.0.0.1",
		"-H", "X-Forwarded-For: 6.6.6.6", "--format", "json")
	if want := `{"ip":"6.6.6.6","ips":["6.6.6.6"],"protocol":"http","secure":false,"host":null,"hostname":null}` + "\n"; out != want {
		t.Errorf("trust 1: got %s want %s", out, want)
	}
}

func TestSimulateRejectedTrustValueIsExit2WithFrameworkMessage(t *testing.T) {
	for _, tc := range []struct{ trust, msg string }{
		{`"true"`, "invalid IP address: true"},
		{`"loopback,"`, "invalid IP address: \n"},
		{"0.0.0.0/0", "invalid range on address: 0.0.0.0/0"},
		{"LOOPBACK", "invalid IP address: LOOPBACK"},
		{"{}", "unsupported trust argument"},
	} {
		out, errOut, code := runCLI(t, "", "simulate", "--trust-proxy", tc.trust, "--peer", "127.0.0.1")
		if code != 2 || out != "" || !strings.HasSuffix(errOut, tc.msg+ifNotNL(tc.msg)) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("trust %s: exit %d, stdout %q, stderr %q; want exit 2 and one line ending %q", tc.trust, code, out, errOut, tc.msg)
		}
	}
}

func ifNotNL(s string) string {
	if strings.HasSuffix(s, "\n") {
		return ""
	}
	return "\n"
}

func TestSimulateBatch(t *testing.T) {
	in := `{"framework":"express","version":"4","trust_proxy":"loopback","peer":"127.0.0.1","tls":false,"headers":[["X-Forwarded-For","1.1.1.1"],["X-Forwarded-For","2.2.2.2"],["Host","a.example:8080"]]}
{"framework":"express","version":"5","trust_proxy":"true","peer":"127.0.0.1","tls":false,"headers":[]}
{"framework":"fastify","version":"5","trust_proxy":1,"peer":"127.0.0.1","tls":true,"headers":[["X-Forwarded-Proto","http"]]}
`
	out, errOut, code := runCLI(t, in, "simulate", "--batch", "-")
	want := `{"ip":"2.2.2.2","ips":["2.2.2.2"],"protocol":"http","secure":false,"host":"a.example","hostname":"a.example"}
{"error":"invalid IP address: true"}
{"ip":"127.0.0.1","ips":["127.0.0.1"],"protocol":"https","secure":true,"host":"","hostname":""}
`
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q\n got:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	_, errOut, code = runCLI(t, "{\"framework\":1}\n", "simulate", "--batch", "-")
	if code != 2 || !strings.HasPrefix(errOut, "trustcheck: stdin:1: invalid case:") {
		t.Errorf("bad line: exit %d, stderr %q", code, errOut)
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"simulate", "--trust-proxy", "true"},                                      // no --peer
		{"simulate", "--peer", "127.0.0.1", "-H", "no colon"},                      // bad header
		{"simulate", "--peer", "127.0.0.1", "--framework", "cakephp"},              // unknown framework
		{"simulate", "--peer", "127.0.0.1", "--trust-proxy", "[unclosed"},          // bad YAML
		{"simulate", "--peer", "127.0.0.1", "--no-such-flag"},                      // unknown flag
		{"simulate", "--peer", "127.0.0.1", "--batch", "/nonexistent/cases.jsonl"}, // missing file
	} {
		_, errOut, code := runCLI(t, "", args...)
		if code != 2 || !strings.HasPrefix(errOut, "trustcheck: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and a trustcheck: message", args, code, errOut)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	// Unstamped (as here), the version is the module version Go recorded or "devel".
	out, _, code := runCLI(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "trustcheck version ") || strings.TrimSpace(strings.TrimPrefix(out, "trustcheck version ")) == "" {
		t.Errorf("unstamped --version: exit %d, %q", code, out)
	}
	// The release build stamps main.version with -ldflags "-X main.version=...".
	defer func(v string) { version = v }(version)
	version = "1.2.3"
	for _, flag := range []string{"--version", "-v"} {
		if out, _, code := runCLI(t, "", flag); code != 0 || out != "trustcheck version 1.2.3\n" {
			t.Errorf("%s: exit %d, %q; want trustcheck version 1.2.3", flag, code, out)
		}
	}
}

// TestLintWritesGitHubStepSummary: with --format github, the Markdown job
// summary goes to $GITHUB_STEP_SUMMARY, its links at the workflow's commit.
func TestLintWritesGitHubStepSummary(t *testing.T) {
	file := t.TempDir() + "/step_summary.md"
	t.Setenv("GITHUB_STEP_SUMMARY", file)
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "acme/shop")
	t.Setenv("GITHUB_SHA", "0123abc")
	out, _, code := runCLI(t, "", "lint", "--format", "github", "testdata/diagrams/two-layer/nginx.conf")
	if code != 1 || !strings.Contains(out, "::error file=testdata/diagrams/two-layer/nginx.conf,line=13,") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## trustcheck\n", "(<https://github.com/acme/shop/blob/0123abc/testdata/diagrams/two-layer/nginx.conf#L13>)", "```mermaid\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}
