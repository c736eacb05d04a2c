//go:build e2e && linux

package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// python is Debian's interpreter, which sees the python3-* packages.
const python = "/usr/bin/python3"

// pythonVersions are the versions Debian 12 installs (Werkzeug/Flask 2.2,
// Django 3.2, Starlette 0.26): a run pins framework_version to them, since
// the app server runs what is installed.
var pythonVersions = map[string][]string{"flask": {"2"}, "django": {"3.2"}, "fastapi": {"0.26"}}

// pythonServerVersions pin trustcheck.yaml's app servers to Debian's
// gunicorn 20.1 and uvicorn 0.17.6 (a gunicorn UvicornWorker's uvicorn too).
var pythonServerVersions = map[string]map[string]string{
	"gunicorn": {"version": "20.1", "uvicorn_version": "0.17"},
	"uvicorn":  {"version": "0.17"},
}

// checkPython fails the suite when Debian's Python packages are missing:
// their topologies must run, not pass unseen.
func checkPython(t *testing.T) {
	mods := "import flask, werkzeug, django, gunicorn, uvicorn, starlette, fastapi"
	if out, err := exec.Command(python, "-c", mods).CombinedOutput(); err != nil {
		t.Fatalf("e2e: %s: %v %s (apt-get install python3-flask python3-django gunicorn python3-uvicorn python3-fastapi)", mods, err, out)
	}
}

// pinPythonServer sets app.server's version keys to what is installed.
func pinPythonServer(app *yaml.Node) {
	for j := 0; j+1 < len(app.Content); j += 2 {
		if app.Content[j].Value != "server" || app.Content[j+1].Kind != yaml.MappingNode {
			continue
		}
		server := app.Content[j+1]
		name, workerClass := "", ""
		for k := 0; k+1 < len(server.Content); k += 2 {
			switch server.Content[k].Value {
			case "name":
				name = server.Content[k+1].Value
			case "worker_class":
				workerClass = server.Content[k+1].Value
			}
		}
		for key, v := range pythonServerVersions[name] {
			if key == "uvicorn_version" && workerClass != "uvicorn.workers.UvicornWorker" {
				continue
			}
			setScalar(server, key, v)
		}
	}
}

// pythonCommand is testdata/e2e/app.py serving app on listen (a comma list).
func (s *suite) pythonCommand(app appDoc, listen string) *exec.Cmd {
	cfg, _ := json.Marshal(map[string]any{"server": app.Server, "middleware": app.Middleware, "options": app.Options})
	return exec.Command(python, filepath.Join(s.appDir, "app.py"), app.Framework, string(cfg), listen)
}
