// Package e2e_test builds the chapter's real binaries and drives them, with
// each other and with the Python programs in testdata written the way the
// course notes write theirs.
package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/internal/pyrun"
)

var (
	binDir   string
	buildErr error
	build    sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds cmd/server and cmd/client once per test run and returns
// the path of the one named.
func binary(t *testing.T, name string) string {
	t.Helper()
	build.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ch04-e2e-")
		if buildErr != nil {
			return
		}
		for _, n := range []string{"server", "client"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, n+exe()), "../cmd/"+n).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build ../cmd/%s: %v\n%s", n, err, out)
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, name+exe())
}

func exe() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// proc is a running program whose output lines arrive on channels.
type proc struct {
	cmd    *exec.Cmd
	stdout chan string
	stderr chan string
	done   chan error
	mu     sync.Mutex
	all    bytes.Buffer // every line of both streams, for failure messages
}

// start runs name with args; the process is killed at the end of the test
// if it is still running.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{
		cmd:    exec.Command(name, args...),
		stdout: make(chan string, 1000),
		stderr: make(chan string, 1000),
		done:   make(chan error, 1),
	}
	outPipe, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	errPipe, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	var wg sync.WaitGroup
	for _, s := range []struct {
		r  io.Reader
		ch chan string
	}{{outPipe, p.stdout}, {errPipe, p.stderr}} {
		wg.Go(func() {
			sc := bufio.NewScanner(s.r)
			for sc.Scan() {
				p.mu.Lock()
				fmt.Fprintln(&p.all, sc.Text())
				p.mu.Unlock()
				s.ch <- sc.Text()
			}
			close(s.ch)
		})
	}
	go func() {
		wg.Wait() // read all output before Wait closes the pipes
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all.String()
}

// expect waits up to 10s for a line on ch that matches re and returns its
// submatches.
func (p *proc) expect(t *testing.T, ch chan string, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended without a line matching %q; output:\n%s", re, p.output())
			}
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %q within 10s; output:\n%s", re, p.output())
		}
	}
}

// wait waits up to 10s for the process to exit and returns its error.
func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for Cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("process did not exit within 10s; output:\n%s", p.output())
		return nil
	}
}

// startServer runs cmd/server on a free loopback port and returns it with
// its address.
func startServer(t *testing.T, args ...string) (*proc, string) {
	t.Helper()
	p := start(t, binary(t, "server"), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	addr := p.expect(t, p.stderr, `msg=listening addr=(\S+)`)[1]
	return p, addr
}

// runClient runs cmd/client to the end and returns its stdout, stderr and
// exit error.
func runClient(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, "client"), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestServerAndClientBinaries(t *testing.T) {
	srv, addr := startServer(t)
	stdout, stderr, err := runClient(t, "-addr", addr)
	require.NoError(t, err, "client stderr: %s", stderr)
	want := `sent message 1: 10 bytes "helloworld"
sent message 2: 2 bytes "SB"
reply 1: server got "helloworld" whole
reply 2: server got "SB" whole
`
	if stdout != want {
		t.Errorf("client stdout:\n%s\nwant:\n%s", stdout, want)
	}
	srv.expect(t, srv.stdout, `^message 1: 10 bytes "helloworld"$`)
	srv.expect(t, srv.stdout, `^message 2: 2 bytes "SB"$`)
	srv.expect(t, srv.stderr, `msg="client left" remote=\S+ messages=2`)

	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	require.NoError(t, srv.cmd.Process.Signal(os.Interrupt))
	if err := srv.wait(t); err != nil {
		t.Errorf("server after Ctrl-C: %v, want exit status 0; output:\n%s", err, srv.output())
	}
	srv.expect(t, srv.stderr, `msg="shut down"`)
}

func TestServerCtrlCWithClientConnected(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	srv, addr := startServer(t)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	srv.expect(t, srv.stderr, `msg="client connected"`)
	require.NoError(t, srv.cmd.Process.Signal(os.Interrupt))
	if err := srv.wait(t); err != nil {
		t.Errorf("server after Ctrl-C with an idle client: %v, want exit status 0", err)
	}
}

func TestClientErrorsAreOneLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	noServer := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no server", []string{"-addr", noServer}, "client: connect to " + noServer + ": connection refused: is the server running?"},
		{"bad address", []string{"-addr", "8080"}, `client: bad address "8080": want host:port, such as 127.0.0.1:8080`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runClient(t, tt.args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("client %v: %v, want exit status 1", tt.args, err)
			}
			if got := strings.TrimSuffix(stderr, "\n"); got != tt.want {
				t.Errorf("client %v stderr = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

// TestClaimF2_PythonClientToGoServer runs testdata/notes_client.py, which
// frames with struct.pack('i') and json as the notes do, against our
// server binary.
func TestClaimF2_PythonClientToGoServer(t *testing.T) {
	py := pyrun.Python3(t)
	srv, addr := startServer(t)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	long := strings.Repeat("0123456789", 500) // 5000 bytes: several recv(1024) each way
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "testdata/notes_client.py", port, "helloworld", "SB", long, "粘包").CombinedOutput()
	require.NoError(t, err, "notes_client.py: %s", out)
	want := "reply 1: helloworld\nreply 2: SB\nreply 3: " + long + "\nreply 4: 粘包\n"
	if string(out) != want {
		t.Errorf("notes_client.py output:\n%.300s\nwant:\n%.300s", out, want)
	}
	srv.expect(t, srv.stdout, `^message 1: 10 bytes "helloworld"$`)
	srv.expect(t, srv.stdout, `^message 2: 2 bytes "SB"$`)
	srv.expect(t, srv.stdout, `^message 3: 5000 bytes "0123456789`)
	srv.expect(t, srv.stdout, `^message 4: 6 bytes "粘包"$`)
}

// TestClaimF2_GoClientToPythonServer runs our client binary against
// testdata/notes_server.py.
func TestClaimF2_GoClientToPythonServer(t *testing.T) {
	py := pyrun.Python3(t)
	pysrv := start(t, py, "testdata/notes_server.py")
	port := pysrv.expect(t, pysrv.stdout, `^(\d+)$`)[1]
	long := strings.Repeat("abcdefghij", 500)
	stdout, stderr, err := runClient(t, "-addr", net.JoinHostPort("127.0.0.1", port), "helloworld", "SB", long)
	require.NoError(t, err, "client stderr: %s", stderr)
	for i, m := range []string{"helloworld", "SB", long} {
		if want := fmt.Sprintf("reply %d: server got %q whole\n", i+1, m); !strings.Contains(stdout, want) {
			t.Errorf("client stdout lacks %.60q:\n%.400s", want, stdout)
		}
	}
	pysrv.expect(t, pysrv.stdout, `^message 1: helloworld$`)
	pysrv.expect(t, pysrv.stdout, `^message 2: SB$`)
	pysrv.expect(t, pysrv.stdout, `^message 3: abcdefghij`)
	if err := pysrv.wait(t); err != nil {
		t.Errorf("notes_server.py: %v; output:\n%s", err, pysrv.output())
	}
}
