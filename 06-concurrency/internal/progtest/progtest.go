// Package progtest runs this chapter's programs in tests the way a person
// runs them: built with go build, started with flags, fed on stdin, and
// watched through what they print while they run. The end-to-end tests
// (e2e/) and the note's interoperability tests (note/) both use it.
package progtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait in these helpers, so a broken program fails
// its test in seconds instead of hanging it.
const Timeout = 10 * time.Second

var (
	buildMu  sync.Mutex
	buildDir string
	built    = map[string]string{} // package path → binary
)

// Build compiles the main package pkg (an import path or a directory) once
// per test binary and returns the binary's path: -count=N runs the tests N
// times but builds once. Call Cleanup from TestMain to remove it.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if path, ok := built[pkg]; ok {
		return path
	}
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "progtest")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = dir
	}
	// Named by the last two elements of pkg: cmd-server, note-tcpserver.
	elems := strings.Split(filepath.ToSlash(filepath.Clean(pkg)), "/")
	path := filepath.Join(buildDir, strings.Join(elems[max(0, len(elems)-2):], "-"))
	if out, err := exec.Command("go", "build", "-o", path, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	built[pkg] = path
	return path
}

// Cleanup removes the binaries Build made.
func Cleanup() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// Python returns the path of the python3 interpreter. Without one the test
// is skipped with the reason, except in CI (CI=true), where .ci/run
// installs it and its absence fails the test.
//
// The path is the interpreter itself, not a wrapper: pyenv's python3, for
// one, is a shell script that takes most of a second to start the real
// interpreter, and many times that on a busy machine.
func Python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		shim, err := exec.LookPath("python3")
		if err != nil {
			pythonErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 6*Timeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, shim, "-c", "import sys; print(sys.executable)").Output()
		if err != nil {
			pythonErr = fmt.Errorf("%s: %w", shim, err)
			return
		}
		pythonPath = strings.TrimSpace(string(out))
	})
	if pythonErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is required in CI (.ci/run installs it): %v", pythonErr)
		}
		t.Skipf("no python3 (%v); this test runs the note's Python programs", pythonErr)
	}
	return pythonPath
}

var (
	pythonOnce sync.Once
	pythonPath string
	pythonErr  error
)

// Proc is a running program. Write to Stdin; Stdout and Stderr grow as the
// program prints.
type Proc struct {
	Name           string
	Cmd            *exec.Cmd
	Stdin          *os.File
	Stdout, Stderr *Output

	exited chan struct{}
	err    error // Cmd.Wait's, once exited is closed
}

// Start runs path with args. The program is killed when the test ends.
func Start(t testing.TB, path string, args ...string) *Proc {
	t.Helper()
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &Proc{
		Name:   filepath.Base(path),
		Cmd:    exec.Command(path, args...),
		Stdin:  stdinW,
		Stdout: NewOutput(),
		Stderr: NewOutput(),
		exited: make(chan struct{}),
	}
	p.Cmd.Stdin, p.Cmd.Stdout, p.Cmd.Stderr = stdinR, p.Stdout, p.Stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdinR.Close() // the child has its own copy
	go func() {
		p.err = p.Cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.Cmd.Process.Kill()
		<-p.exited
		stdinW.Close()
	})
	return p
}

// Type writes s to the program's stdin, as a person types it.
func (p *Proc) Type(t testing.TB, s string) {
	t.Helper()
	if _, err := p.Stdin.WriteString(s); err != nil {
		t.Fatalf("%s: writing %q to stdin: %v", p.Name, s, err)
	}
}

// Wait waits (up to Timeout) for the program to exit and returns its exit
// status.
func (p *Proc) Wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(Timeout):
		t.Fatalf("%s still running after %v\nstdout:\n%s\nstderr:\n%s", p.Name, Timeout, p.Stdout, p.Stderr)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("%s: %v", p.Name, p.err)
		return -1
	}
}

// Running reports whether the program has not exited yet.
func (p *Proc) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Run runs path with args and stdin to its end (within Timeout) and returns
// what it printed and its exit status.
func Run(t testing.TB, stdin, path string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	p := Start(t, path, args...)
	p.Type(t, stdin)
	p.Stdin.Close()
	status = p.Wait(t)
	return p.Stdout.String(), p.Stderr.String(), status
}

// Output collects what a program prints and lets a test wait for it.
type Output struct {
	mu      sync.Mutex
	b       []byte
	changed chan struct{} // closed and replaced on every write
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{changed: make(chan struct{})} }

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b = append(o.b, p...)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.b)
}

// WaitFor waits (up to Timeout) until the output past offset from contains
// want, and returns the offset just past it, to wait for what comes next.
func (o *Output) WaitFor(t testing.TB, from int, want string) int {
	t.Helper()
	_, end := o.WaitMatch(t, from, regexp.MustCompile(regexp.QuoteMeta(want)))
	return end
}

// WaitMatch waits (up to Timeout) until the output past offset from
// matches re, and returns the submatches of the first match and the offset
// just past it.
func (o *Output) WaitMatch(t testing.TB, from int, re *regexp.Regexp) ([]string, int) {
	t.Helper()
	return o.match(t, from, re)
}

// WaitAny waits (up to Timeout) until one of outs, past its offset in
// from, contains want, and returns the index of the first that does.
func WaitAny(t testing.TB, want string, outs []*Output, from []int) int {
	t.Helper()
	timeout := reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(time.After(Timeout))}
	for {
		cases := []reflect.SelectCase{timeout}
		for i, o := range outs {
			o.mu.Lock()
			s, changed := string(o.b), o.changed
			o.mu.Unlock()
			if strings.Contains(s[min(from[i], len(s)):], want) {
				return i
			}
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(changed)})
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			t.Fatalf("no %q in any of %d outputs within %v", want, len(outs), Timeout)
		}
	}
}

func (o *Output) match(t testing.TB, from int, re *regexp.Regexp) ([]string, int) {
	t.Helper()
	timeout := time.After(Timeout)
	for {
		o.mu.Lock()
		s, changed := string(o.b), o.changed
		o.mu.Unlock()
		if from > len(s) {
			from = len(s)
		}
		if loc := re.FindStringSubmatchIndex(s[from:]); loc != nil {
			var m []string
			for i := 0; i < len(loc); i += 2 {
				if loc[i] >= 0 {
					m = append(m, s[from+loc[i]:from+loc[i+1]])
				} else {
					m = append(m, "")
				}
			}
			return m, from + loc[1]
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no %q in the output within %v; the output:\n%s", re, Timeout, s)
		}
	}
}
