//go:build e2e && linux

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tomcatJars are Debian's libtomcat10-java jars the app server needs.
var tomcatJars = []string{"catalina", "coyote", "util", "util-scan", "api", "juli", "servlet-api", "jaspic-api", "annotations-api"}

// jvmServer runs spring-boot apps: one JVM for the whole suite
// (testdata/e2e/TomcatApp.java, compiled once with javac), an embedded
// Tomcat 10.1 to which each app is added as its own connectors, behind the
// RemoteIpValve Spring Boot 3.5 builds from the app's properties. Started
// on the first spring-boot app.
type jvmServer struct {
	t       *testing.T
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan string
	err     error // why the JVM could not start
	nextID  int
}

func (*jvmServer) cannotRun(app appDoc) string {
	for _, bin := range []string{"java", "javac"} {
		if _, err := exec.LookPath(bin); err != nil {
			return "no " + bin + " on PATH (apt-get install openjdk-17-jdk-headless)"
		}
	}
	for _, j := range tomcatJars {
		if _, err := os.Stat("/usr/share/java/tomcat10-" + j + ".jar"); err != nil {
			return "no Tomcat 10 (apt-get install libtomcat10-java)"
		}
	}
	var opts map[string]any
	_ = json.Unmarshal(app.Options, &opts)
	if st, _ := opts["server.forward-headers-strategy"].(string); strings.EqualFold(st, "framework") {
		return "strategy framework is Spring's ForwardedHeaderFilter, which Debian does not package"
	}
	if strings.HasPrefix(app.Listen, "unix:") {
		return "the app listens on a UNIX socket; Tomcat is run on TCP only here"
	}
	return ""
}

// launch compiles TomcatApp with the vector generator's Gen and Json and
// starts the JVM.
func (j *jvmServer) launch() error {
	dir := j.t.TempDir()
	var cp []string
	for _, jar := range tomcatJars {
		cp = append(cp, "/usr/share/java/tomcat10-"+jar+".jar")
	}
	jars := strings.Join(cp, ":")
	srcs := []string{"../testdata/e2e/TomcatApp.java", "../testdata/vectors/jvm/gen/Gen.java", "../testdata/vectors/jvm/gen/Json.java"}
	if out, err := exec.Command("javac", append([]string{"-nowarn", "-d", dir, "-cp", jars}, srcs...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("javac: %v %s", err, out)
	}
	j.cmd = exec.Command("java", "-Djava.io.tmpdir="+dir, "-cp", dir+":"+jars, "TomcatApp")
	j.cmd.Stderr = os.Stderr
	j.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var err error
	if j.stdin, err = j.cmd.StdinPipe(); err != nil {
		return err
	}
	stdout, err := j.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := j.cmd.Start(); err != nil {
		return err
	}
	j.replies = make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			j.replies <- sc.Text()
		}
		close(j.replies)
	}()
	_, err = j.reply("tomcat ready", 60*time.Second)
	return err
}

// reply waits for the JVM's next line, which must start with prefix, and
// returns the rest.
func (j *jvmServer) reply(prefix string, timeout time.Duration) (string, error) {
	select {
	case line, ok := <-j.replies:
		if !ok {
			return "", errors.New("the JVM exited")
		}
		if !strings.HasPrefix(line, prefix) {
			return "", fmt.Errorf("the JVM answered %q, want %q", line, prefix)
		}
		return strings.TrimPrefix(line, prefix), nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no %q from the JVM in %v", prefix, timeout)
	}
}

func (j *jvmServer) start(t *testing.T, app appDoc, listen string) (func(), error) {
	if j.cmd == nil && j.err == nil {
		j.err = j.launch()
	}
	if j.err != nil {
		return nil, j.err
	}
	// TomcatApp reads a case whose trust_proxy and options are strings.
	c := map[string]any{}
	if len(app.TrustProxy) > 0 {
		var tp string
		if err := json.Unmarshal(app.TrustProxy, &tp); err != nil {
			return nil, fmt.Errorf("trust_proxy %s is not a string", app.TrustProxy)
		}
		c["trust_proxy"] = tp
	}
	var opts map[string]any
	_ = json.Unmarshal(app.Options, &opts)
	props := map[string]string{}
	for k, v := range opts {
		props[k] = fmt.Sprint(v)
	}
	c["options"] = props
	text, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	j.nextID++
	id := fmt.Sprint(j.nextID)
	if _, err := fmt.Fprintf(j.stdin, "start %s %s %s\n", id, listen, text); err != nil {
		return nil, err
	}
	line, err := j.reply("", 30*time.Second)
	if err != nil {
		return nil, err
	}
	if msg, ok := strings.CutPrefix(line, "error "+id+" "); ok {
		return nil, errors.New(msg)
	}
	if line != "ready "+id {
		return nil, fmt.Errorf("the JVM answered %q to start %s", line, id)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if _, err := fmt.Fprintf(j.stdin, "stop %s\n", id); err == nil {
			if _, err := j.reply("stopped "+id, 30*time.Second); err != nil {
				t.Errorf("stopping spring-boot app %s: %v", id, err)
			}
		}
	}
	t.Cleanup(stop)
	return stop, nil
}

func (j *jvmServer) close() {
	if j.cmd == nil {
		return
	}
	_ = j.stdin.Close()
	done := make(chan struct{})
	go func() { _ = j.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = j.cmd.Process.Kill()
		<-done
	}
}
