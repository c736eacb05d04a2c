//go:build e2e && linux

package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rubyServer runs a rails app: testdata/e2e/app.rb, a real Puma 5.6.5 with
// ActionDispatch::RemoteIp 6.1 (Debian's puma, ruby-actionpack, ruby-rack),
// one process per app.
type rubyServer struct{}

func (*rubyServer) cannotRun(app appDoc) string {
	if _, err := exec.LookPath("ruby"); err != nil {
		return "no ruby on PATH (apt-get install ruby-actionpack ruby-rack puma)"
	}
	if strings.HasPrefix(app.Listen, "unix:") {
		return "the app listens on a UNIX socket; Puma is run on TCP only here"
	}
	return ""
}

func (*rubyServer) start(t *testing.T, app appDoc, listen string) (func(), error) {
	appRb, err := filepath.Abs("../testdata/e2e/app.rb")
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(app.batchCase())
	if err != nil {
		return nil, err
	}
	return startReady(t, exec.Command("ruby", appRb, string(c), listen), 30*time.Second)
}

func (*rubyServer) close() {}
