// Package e2etest builds this chapter's commands and runs them as real
// processes for end-to-end tests. Every wait in it is bounded, so a broken
// test fails in seconds.
package e2etest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Wait bounds each wait for a process or for a line of its output.
const Wait = 20 * time.Second

// Build builds the commands of this module named by their directories under
// cmd (for example "server", "client") into dir and returns their paths in
// the same order.
func Build(dir string, cmds ...string) ([]string, error) {
	var paths []string
	for _, name := range cmds {
		out := filepath.Join(dir, name)
		if runtime.GOOS == "windows" {
			out += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", out, "github.com/gosockets/tutorial/02-udp-echo/cmd/"+name)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", name, err, b)
		}
		paths = append(paths, out)
	}
	return paths, nil
}

// Result is what a finished process left.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Run runs bin with args, feeding it stdin, and waits (at most Wait) for it
// to exit.
func Run(t *testing.T, stdin string, bin string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not exit within %v; stdout %q, stderr %q", filepath.Base(bin), args, Wait, stdout.String(), stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %s: %v", bin, err)
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: cmd.ProcessState.ExitCode()}
}

// Proc is a running process whose stderr is collected line by line.
type Proc struct {
	Cmd    *exec.Cmd
	Stdin  io.WriteCloser
	Stdout *bufio.Reader

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line or at EOF
	eof     bool
	exited  chan struct{}
	waitErr error
}

// Start starts bin with args. Cleanup kills it if it is still running.
func Start(t *testing.T, bin string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, Stdin: stdin, Stdout: bufio.NewReader(stdout), changed: make(chan struct{}), exited: make(chan struct{})}
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.eof = true
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}()
	go func() {
		<-stderrDone // Wait must not close the pipe while it is being read
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// StderrLines returns the lines the process has written to stderr so far.
func (p *Proc) StderrLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// WaitStderr waits until a stderr line contains substr and returns it.
func (p *Proc) WaitStderr(t *testing.T, substr string) string {
	t.Helper()
	timeout := time.After(Wait)
	for {
		p.mu.Lock()
		changed, eof := p.changed, p.eof
		lines := append([]string(nil), p.lines...)
		p.mu.Unlock()
		for _, l := range lines {
			if strings.Contains(l, substr) {
				return l
			}
		}
		if eof {
			t.Fatalf("stderr ended without a line containing %q:\n%s", substr, strings.Join(lines, "\n"))
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no stderr line containing %q within %v:\n%s", substr, Wait, strings.Join(lines, "\n"))
		}
	}
}

// ListenAddr waits for the server's "listening" log line and returns the
// address in it.
func (p *Proc) ListenAddr(t *testing.T) string {
	t.Helper()
	line := p.WaitStderr(t, "msg=listening")
	_, addr, ok := strings.Cut(line, " addr=")
	if !ok {
		t.Fatalf("no address in %q", line)
	}
	return addr
}

// ExitCode waits (at most Wait) for the process to exit and returns its
// exit status.
func (p *Proc) ExitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(Wait):
		t.Fatalf("process did not exit within %v; stderr:\n%s", Wait, strings.Join(p.StderrLines(), "\n"))
	}
	var exit *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &exit) {
		t.Fatalf("wait: %v", p.waitErr)
	}
	return p.Cmd.ProcessState.ExitCode()
}

// ReadStdoutUntil reads the process's stdout until it has read delim and
// returns what it read. It must be given a deadline by the process itself:
// call it only when the process is known to write delim.
func (p *Proc) ReadStdoutUntil(t *testing.T, delim string) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		var b strings.Builder
		for !strings.HasSuffix(b.String(), delim) {
			c, err := p.Stdout.ReadByte()
			if err != nil {
				done <- result{b.String(), err}
				return
			}
			b.WriteByte(c)
		}
		done <- result{b.String(), nil}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("stdout ended (%v) before %q; read %q", r.err, delim, r.s)
		}
		return r.s
	case <-time.After(Wait):
		t.Fatalf("stdout did not show %q within %v", delim, Wait)
		return ""
	}
}

// Python returns the path of python3. Without it the test is skipped, or,
// when CI=true, fails: CI must install python3.
func Python(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is required for the interop tests on CI: %v", err)
		}
		t.Skipf("skipping the Python interop test: python3 not found (%v)", err)
	}
	return path
}
