package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustcheck/trustcheck/lint"
)

// cliCleanConf proxies with every forwarded header set by nginx: clean for
// Express trusting loopback.
const cliCleanConf = `events {}
http {
    server {
        listen 80 default_server;
        return 444;
    }
    server {
        listen 80;
        server_name app.example;
        location / {
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_pass http://127.0.0.1:3000;
        }
    }
}
`

const cliNoFindingsJSON = `{
  "version": 1,
  "findings": [],
  "notes": [],
  "summary": {
    "errors": 0,
    "warnings": 0,
    "infos": 0,
    "files": 1
  }
}
`

// cliCase is one command line run in a directory holding files (a name
// ending in "/" is a directory); stdout and stderr are exact. sameAs, when
// set, is another command line whose stdout must be byte-identical.
type cliCase struct {
	name           string
	files          map[string]string
	args           []string
	code           int
	stdout, stderr string
	sameAs         []string
}

// TestCLIHabits: the habits of the command line's users, each with its
// exact output.
func TestCLIHabits(t *testing.T) {
	quick := []string{"--framework", "express", "--trust-proxy", "loopback"}
	conf := map[string]string{"nginx.conf": cliCleanConf}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"nginx.conf": cliCleanConf}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []cliCase{
		// flags anywhere
		{name: "flags after the file", files: conf,
			args: append([]string{"nginx.conf", "--format", "json"}, quick...), stdout: cliNoFindingsJSON},
		{name: "flags before the file", files: conf,
			args: append(append([]string{"--format", "json"}, quick...), "nginx.conf"), stdout: cliNoFindingsJSON},
		{name: "flags around lint's file", files: conf,
			args: append([]string{"lint", "-q", "nginx.conf", "--fail-on", "none"}, quick...), stdout: "no findings in 1 file checked\n"},
		{name: "flag=value after the file", files: conf,
			args: append([]string{"nginx.conf", "--format=json"}, quick...), stdout: cliNoFindingsJSON},
		{name: "paths: flags after the file", files: conf,
			args:   append([]string{"paths", "nginx.conf", "--format", "json"}, quick...),
			sameAs: append(append([]string{"paths", "--format", "json"}, quick...), "nginx.conf")},
		{name: "suggest: flags after the file", files: conf,
			args:   append([]string{"suggest", "nginx.conf", "--format", "json"}, quick...),
			sameAs: append(append([]string{"suggest", "--format", "json"}, quick...), "nginx.conf")},
		{name: "init: flags after the file", files: with(map[string]string{"trustcheck.yaml": "version: 1\n"}),
			args:   []string{"init", "nginx.conf", "--force"},
			stdout: "wrote trustcheck.yaml\nset app.trust_proxy to exactly what your app passes, check the other values, then run: trustcheck nginx.conf\n"},
		{name: "a file after --", files: map[string]string{"-q.conf": cliCleanConf},
			args: append(append([]string{"-q"}, quick...), "--", "-q.conf"), stdout: "no findings in 1 file checked\n"},
		{name: "a flag without its value at the end", files: conf, args: []string{"nginx.conf", "--format"}, code: 2,
			stderr: "trustcheck: flag needs an argument: --format (see 'trustcheck lint --help')\n"},
		// the command among the flags
		{name: "a flag before the command", files: with(map[string]string{"lint/": ""}),
			args: append([]string{"-q", "lint", "nginx.conf"}, quick...), stdout: "no findings in 1 file checked\n"},
		{name: "the command and a directory of its name", files: map[string]string{"lint/": ""},
			args: []string{"lint"}, code: 2,
			stderr: "note: \"lint\" is read as the command lint, not as the path of that name (write ./lint to check it)\n" +
				"trustcheck: no nginx configuration given (usage: trustcheck [lint] NGINX_CONF...)\n"},
		// typos of commands
		{name: "lnit", files: conf, args: []string{"lnit", "nginx.conf"}, code: 2,
			stderr: "trustcheck: unknown command \"lnit\": did you mean \"lint\"? (see 'trustcheck --help')\n"},
		{name: "simualte", args: []string{"simualte", "--peer", "127.0.0.1"}, code: 2,
			stderr: "trustcheck: unknown command \"simualte\": did you mean \"simulate\"? (see 'trustcheck --help')\n"},
		{name: "explian after a flag", args: []string{"-q", "explian", "TC101"}, code: 2,
			stderr: "trustcheck: unknown command \"explian\": did you mean \"explain\"? (see 'trustcheck --help')\n"},
		{name: "a file named like a typo is a file", files: map[string]string{"lnit": cliCleanConf},
			args: append([]string{"lnit", "-q"}, quick...), stdout: "no findings in 1 file checked\n"},
		// rule names as rules prints them
		{name: "explain by name", args: []string{"explain", "trust-all-unstripped"}, sameAs: []string{"explain", "TC101"}},
		{name: "--disable by name", files: conf,
			args: append([]string{"nginx.conf", "--disable", "xff-not-set,TC201", "--format", "json"}, quick...), stdout: cliNoFindingsJSON},
		{name: "an unknown rule", args: []string{"explain", "trust-al"}, code: 2,
			stderr: "trustcheck: unknown rule \"trust-al\" (see trustcheck rules)\n"},
		// quick mode and trustcheck.yaml
		{name: "a flag overrides the YAML's field", files: with(map[string]string{"trustcheck.yaml": "version: 1\napp:\n  framework: express\n  trust_proxy: true\n"}),
			args: []string{"nginx.conf", "--trust-proxy", "loopback", "-q"}, stdout: "no findings in 1 file checked\n"},
		{name: "a bad flag value is the flag's", files: with(map[string]string{"trustcheck.yaml": "version: 1\napp:\n  framework: fastify\n  framework_version: \"5\"\n  trust_proxy: true\n"}),
			args: []string{"nginx.conf", "--framework-version", "9"}, code: 2,
			stderr: "trustcheck: --framework-version: unsupported fastify version \"9\" (want 4, 5 or an exact 4.x/5.x version)\n"},
		{name: "a bad framework flag is the flag's", files: with(map[string]string{"trustcheck.yaml": "version: 1\napp:\n  framework: fastify\n  trust_proxy: true\n"}),
			args: []string{"nginx.conf", "--framework", "expresso"}, code: 2,
			stderr: "trustcheck: --framework: unknown framework \"expresso\" (want express, fastify, koa, rails, laravel, symfony, spring-boot, aspnetcore, flask, django, fastapi, gin, echo, chi, proxy-addr or request-ip)\n"},
		{name: "a bad YAML value is the YAML's", files: with(map[string]string{"trustcheck.yaml": "version: 1\napp:\n  framework: fastify\n  framework_version: \"9\"\n  trust_proxy: true\n"}),
			args: []string{"nginx.conf"}, code: 2,
			stderr: "trustcheck: trustcheck.yaml:3: unsupported fastify version \"9\" (want 4, 5 or an exact 4.x/5.x version)\n"},
		{name: "--app none ignores the YAML", files: with(map[string]string{"trustcheck.yaml": "app: [\n"}),
			args: append([]string{"nginx.conf", "--app", "none", "-q"}, quick...), stdout: "no findings in 1 file checked\n"},
		{name: "nginx.config is the input", files: map[string]string{"site/nginx.conf": cliCleanConf,
			"trustcheck.yaml": "version: 1\napp:\n  framework: express\n  trust_proxy: loopback\nnginx:\n  config: site/nginx.conf\n"},
			args: []string{"lint", "--format", "json"}, stdout: cliNoFindingsJSON},
		// errors
		{name: "an error quoting a long value is short", files: with(map[string]string{"trustcheck.yaml": "version: 1\napp:\n  framework: \"" + strings.Repeat("x", 1500) + "\"\n"}),
			args: []string{"nginx.conf"}, code: 2,
			stderr: "trustcheck: trustcheck.yaml:3: app.framework: \"" + strings.Repeat("x", 39) + "...\" is not one of express, fastify, koa, rails, laravel, symfony, spring-boot, aspnetcore, flask, django, fastapi, gin, ec...\n"},
		{name: "nginx refuses the configuration", files: map[string]string{"nginx.conf": "http {\n  server {\n    listen 80\n    location / { proxy_pass http://127.0.0.1:3000; }\n  }\n}\n"},
			args: []string{"nginx.conf"}, code: 2,
			stderr: "trustcheck: nginx.conf:4: directive \"listen\" is not terminated by \";\"\n"},
		{name: "SARIF on exit 2", files: map[string]string{"nginx.conf": "http { location / { } }\n"},
			args: []string{"nginx.conf", "--format", "sarif"}, code: 2,
			stdout: sarifFailure("nginx.conf:1: \\\"location\\\" directive is not allowed here"),
			stderr: "trustcheck: nginx.conf:1: \"location\" directive is not allowed here\n"},
		{name: "--fail-on names none", files: conf, args: []string{"nginx.conf", "--fail-on", "bogus"}, code: 2,
			stderr: "trustcheck: --fail-on: unknown severity \"bogus\" (want error, warning, info or none)\n"},
		{name: "simulate: a peer that is no address", args: []string{"simulate", "--peer", "999.1.1.1", "--trust-proxy", "true"}, code: 2,
			stderr: "trustcheck: --peer \"999.1.1.1\": not an IP address (the socket address the app sees, e.g. 127.0.0.1 or ::ffff:127.0.0.1)\n"},
		{name: "simulate: flags --batch ignores", args: []string{"simulate", "--batch", "-", "--peer", "127.0.0.1", "-H", "X: y"}, code: 2,
			stderr: "trustcheck: --batch reads every setting from its cases: --peer, --header cannot be given with it\n"},
		// nothing to check
		{name: "an empty file", files: map[string]string{"nginx.conf": ""}, args: append([]string{"nginx.conf"}, quick...),
			stdout: "no findings in 1 file checked\n",
			stderr: "note: nginx.conf: no directives in this file: nothing to check\n" +
				"note: no location passes requests to an app (proxy_pass, fastcgi_pass, uwsgi_pass, scgi_pass, grpc_pass): there was nothing to check\n"},
		{name: "an unknown directive", files: map[string]string{"nginx.conf": "http { server { listen 80; location / { proxy_pas http://127.0.0.1:3000; } } }\n"},
			args: append([]string{"nginx.conf"}, quick...), stdout: "no findings in 1 file checked\n",
			stderr: "note: nginx.conf:1: unknown directive \"proxy_pas\": did you mean \"proxy_pass\"? (nginx refuses an unknown directive)\n" +
				"note: no location passes requests to an app (proxy_pass, fastcgi_pass, uwsgi_pass, scgi_pass, grpc_pass): there was nothing to check\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				p := filepath.Join(dir, name)
				if strings.HasSuffix(name, "/") {
					if err := os.MkdirAll(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			out, errOut, code := runCLI(t, "", tc.args...)
			if code != tc.code || errOut != tc.stderr {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", code, errOut, tc.code, tc.stderr)
			}
			want := tc.stdout
			if tc.sameAs != nil {
				var wantCode int
				want, _, wantCode = runCLI(t, "", tc.sameAs...)
				if wantCode != code || want == "" {
					t.Fatalf("%q: exit %d, stdout %q", tc.sameAs, wantCode, want)
				}
			}
			if out != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

// sarifFailure is the SARIF log of a failed run whose error is msg (JSON-escaped).
func sarifFailure(msg string) string {
	return `{
  "version": "2.1.0",
  "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
  "runs": [
    {
      "tool": {
        "driver": {
          "informationUri": "https://github.com/trustcheck/trustcheck",
          "name": "trustcheck",
          "rules": [],
          "version": "` + lintVersion() + `"
        }
      },
      "invocations": [
        {
          "executionSuccessful": false,
          "toolExecutionNotifications": [
            {
              "level": "error",
              "message": {
                "text": "` + msg + `"
              }
            }
          ]
        }
      ],
      "results": []
    }
  ]
}
`
}

func lintVersion() string { return lint.Version(version) }
