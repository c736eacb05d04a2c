package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// asCLI makes the test binary trustcheck itself when the completion
// scripts run it from a shell.
const asCLI = "TRUSTCHECK_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// completionCases: the words typed (the last being completed) and every
// candidate offered, sorted. The directory holds site.conf and conf.d/.
var completionCases = []struct {
	words []string
	want  []string
}{
	{[]string{""}, []string{"completion", "conf.d", "explain", "init", "lint", "paths", "rules", "simulate", "site.conf", "suggest"}},
	{[]string{"lint", "--format", ""}, []string{"github", "json", "sarif", "text"}},
	{[]string{"paths", "--format", ""}, []string{"json", "text"}},
	{[]string{"lint", "--fail-on", ""}, []string{"error", "info", "none", "warning"}},
	{[]string{"lint", "--framework", "fa"}, []string{"fastapi", "fastify"}},
	{[]string{"simulate", "--framework", "pro"}, []string{"proxy-addr"}},
	{[]string{"lint", "--fa"}, []string{"--fail-on"}},
	{[]string{"site.conf", "--no"}, []string{"--no-color"}},
	{[]string{"explain", "trust-a"}, []string{"trust-all-unstripped"}},
	{[]string{"explain", "TC10"}, []string{"TC101", "TC102", "TC103", "TC104", "TC105", "TC106", "TC107", "TC108", "TC109"}},
	{[]string{"lint", "--disable", "TC00"}, []string{"TC001"}},
	{[]string{"lint", "si"}, []string{"site.conf"}},
	{[]string{"completion", ""}, []string{"bash", "fish", "zsh"}},
}

// TestCompletionScripts runs each shell on the script trustcheck prints
// and asks it to complete.
func TestCompletionScripts(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "trustcheck")); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "site.conf"), []byte(cliCleanConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(work, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), asCLI+"=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+t.TempDir())
	for _, sh := range []struct {
		name string
		// script completes words with the completion script sourced from
		// "trustcheck completion NAME".
		script func(words []string) string
	}{
		{"bash", func(words []string) string {
			return `source <(trustcheck completion bash)
COMP_WORDS=(trustcheck ` + shellWords(words) + `); COMP_CWORD=` + itoa(len(words)) + `
_trustcheck; printf '%s\n' "${COMPREPLY[@]}"`
		}},
		{"zsh", func(words []string) string {
			// compadd and _files are the completion system's: stand-ins
			// print what they are given.
			return `compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }
_files() { if [[ $1 == -/ ]]; then print -rl -- ${~PREFIX}*(N/); else print -rl -- ${~PREFIX}*(N); fi; }
source <(trustcheck completion zsh)
words=(trustcheck ` + shellWords(words) + `); CURRENT=` + itoa(len(words)+1) + `; PREFIX=` + shellWords(words[len(words)-1:]) + `
_trustcheck`
		}},
		{"fish", func(words []string) string {
			return `trustcheck completion fish | source
complete -C` + shellWords([]string{"trustcheck " + strings.Join(words, " ")})
		}},
	} {
		path, err := exec.LookPath(sh.name)
		if err != nil {
			t.Errorf("%s is not installed (.ci/run installs it): %v", sh.name, err)
			continue
		}
		for _, tc := range completionCases {
			t.Run(sh.name+"/"+strings.Join(tc.words, "_"), func(t *testing.T) {
				args := []string{"-c", sh.script(tc.words)}
				if sh.name == "zsh" {
					args = append([]string{"-f"}, args...)
				}
				cmd := exec.Command(path, args...)
				cmd.Dir, cmd.Env = work, env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", sh.name, err, out)
				}
				var got []string
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					l, _, _ = strings.Cut(l, "\t") // fish: a description after a tab
					if l = strings.TrimSuffix(l, "/"); l != "" && !slices.Contains(got, l) {
						got = append(got, l)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("%q: got %q, want %q", tc.words, got, tc.want)
				}
			})
		}
	}
}

// shellWords quotes words for bash, zsh and fish alike.
func shellWords(words []string) string {
	var q []string
	for _, w := range words {
		q = append(q, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
	}
	return strings.Join(q, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }
