//go:build e2e && linux

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	return startReady(t, exec.Command("ruby", appRb, string(c), listen))
}

func (*rubyServer) close() {}

// startReady starts an app server that prints "ready" on stdout once
// listening, and waits for that line; an app that exits first or is not
// ready in 30s is an error with its stderr.
func startReady(t *testing.T, cmd *exec.Cmd) (func(), error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line == "ready\n"
		_, _ = io.Copy(io.Discard, stdout)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	t.Cleanup(stop)
	select {
	case ok := <-ready:
		if !ok {
			stop()
			return nil, errors.New(strings.TrimSpace(stderr.String()))
		}
	case <-time.After(30 * time.Second):
		stop()
		return nil, fmt.Errorf("no ready line in 30s: %s", stderr.String())
	}
	return stop, nil
}
