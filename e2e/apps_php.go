//go:build e2e && linux

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// phpServer runs a symfony or laravel app: PHP's built-in server (`php -S`,
// Debian's php-cli) with testdata/e2e/app.php as router, on Debian's
// Symfony HttpFoundation 5.4; one php -S per listen address (it takes one).
// Laravel is not packaged in Debian: its TrustProxies middleware runs as
// testdata/vectors/php/gen.php transcribes it, on the same Symfony Request.
type phpServer struct{}

func (*phpServer) cannotRun(app appDoc) string {
	if _, err := exec.LookPath("php"); err != nil {
		return "no php on PATH (apt-get install php-cli php-symfony-http-foundation)"
	}
	if name, _ := app.Server["name"].(string); name != "php-cli-server" {
		return "server php-fpm (FastCGI behind fastcgi_pass) is not run by the e2e suite; only php -S (server.name php-cli-server) is"
	}
	if strings.HasPrefix(app.Listen, "unix:") {
		return "the app listens on a UNIX socket, which php -S cannot"
	}
	if app.TrustError != "" {
		// Symfony 5.4's setTrustedProxies accepts anything; what trustcheck
		// predicts is rejected is Laravel's own code, not installed here.
		return "trustcheck predicts the app refuses its trust setting (" + app.TrustError + "), which only Laravel itself would do"
	}
	return ""
}

func (*phpServer) start(t *testing.T, app appDoc, listen string) (func(), error) {
	router, err := filepath.Abs("../testdata/e2e/app.php")
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(app.batchCase())
	if err != nil {
		return nil, err
	}
	var stops []func()
	stopAll := func() {
		for _, stop := range stops {
			stop()
		}
	}
	for _, l := range strings.Split(listen, ",") {
		host, port := listenHostPort(l)
		bind := host
		if bind == "*" || bind == "" {
			bind = "0.0.0.0"
		}
		cmd := exec.Command("php", "-S", net.JoinHostPort(bind, port), router)
		cmd.Dir = filepath.Dir(router)
		cmd.Env = append(os.Environ(), "TC_E2E_APP="+string(c))
		stop, err := startListening(t, cmd, net.JoinHostPort(dialHost(host, "127.0.0.1"), port))
		if err != nil {
			stopAll()
			return nil, err
		}
		stops = append(stops, stop)
	}
	return stopAll, nil
}

func (*phpServer) close() {}

// startListening starts an app server and waits until addr accepts
// connections; one that exits first or does not listen in 10s is an error
// with its output.
func startListening(t *testing.T, cmd *exec.Cmd, addr string) (func(), error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Kill()
		<-exited
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return stop, nil
		}
		select {
		case <-exited:
			return nil, errors.New(strings.TrimSpace(out.String()))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("not listening on %s in 10s: %s", addr, out.String())
		}
	}
}
