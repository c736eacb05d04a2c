//go:build e2e && linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// goVersions are the module versions testdata/vectors/goweb/gen/go.mod pins
// (a server refuses to start when its -version differs).
var goVersions = map[string][]string{"gin": {"1.12.0"}, "echo": {"4.16.5"}, "chi": {"5.5.0"}}

// envGoServers names the directory of the built gin, echo and chi servers.
const envGoServers = "TC_E2E_GOSERVERS"

// buildGoServers builds testdata/vectors/goweb/gen/cmd/{gin,echo,chi}server
// (their own module and go.sum) into dir, before the namespace, which has no
// network for the module proxy.
func buildGoServers(t *testing.T, dir string) {
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/ginserver", "./cmd/echoserver", "./cmd/chiserver")
	cmd.Dir = "../testdata/vectors/goweb/gen"
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("e2e: building the gin, echo and chi servers: %v\n%s", err, out)
	}
}

// goCommand is the framework's server serving app on listen (a comma list).
func (s *suite) goCommand(app appDoc, listen string) *exec.Cmd {
	trust := "<absent>"
	if len(app.TrustProxy) > 0 {
		trust = string(app.TrustProxy)
	}
	args := []string{"-version", app.Version, "-listen", listen, "-trust", trust}
	if len(app.Options) > 0 {
		args = append(args, "-options", string(app.Options))
	}
	if len(app.Middleware) > 0 {
		args = append(args, "-middleware", string(app.Middleware))
	}
	return exec.Command(filepath.Join(os.Getenv(envGoServers), app.Framework+"server"), args...)
}
