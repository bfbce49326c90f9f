// Package progtest runs real programs in tests: it builds Go commands into
// t.TempDir(), starts a program with a stdin the test writes to, and waits,
// with a deadline, for what the program prints. A test can so hold a
// conversation with a running program, line by line, and see each answer
// while the connection behind it is still open.
//
// Chapters 04 and 05 use it for their note programs and their end-to-end
// tests.
package progtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait of this package: a build, an expected output,
// a program's exit. A broken test fails after it instead of hanging.
const Timeout = 30 * time.Second

// Build compiles the main packages pkgs (import paths, or paths relative
// to the test's directory such as "./server") and returns the path of each
// binary, in the order of pkgs. It builds each list of packages once per
// run of the test binary, into a temporary directory that Main removes:
// call Main from the package's TestMain.
func Build(t testing.TB, pkgs ...string) []string {
	t.Helper()
	key := strings.Join(pkgs, "\x00")
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if bins, ok := builds.done[key]; ok {
		return bins
	}
	dir, err := os.MkdirTemp("", "progtest-")
	if err != nil {
		t.Fatal(err)
	}
	builds.dirs = append(builds.dirs, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*Timeout)
	defer cancel()
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	bins := make([]string, len(pkgs))
	for i, p := range pkgs {
		bins[i] = filepath.Join(dir, filepath.Base(p)+exeSuffix())
	}
	if builds.done == nil {
		builds.done = map[string][]string{}
	}
	builds.done[key] = bins
	return bins
}

// builds are the binaries Build has made in this run.
var builds struct {
	mu   sync.Mutex
	done map[string][]string // by the list of packages
	dirs []string
}

// Main runs the tests and then removes what Build made. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(progtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	for _, dir := range builds.dirs {
		os.RemoveAll(dir)
	}
	return code
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// Python3 returns the path of python3. Where python3 is missing it fails
// the test when the environment variable CI is "true" (CI installs it) and
// skips it otherwise, saying why.
func Python3(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("python3 is required in CI: %v", err)
	}
	t.Skipf("python3 not found (%v); this test runs the note's Python programs against ours", err)
	return ""
}

// Proc is a running program.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout *Stream
	Stderr *Stream
	stdin  io.WriteCloser
	done   chan struct{}
	err    error // Cmd.Wait's result, set before done is closed
}

// Start starts the program name with args. Its stdin is a pipe that
// [Proc.Write] writes to; its stdout and stderr are collected. The program
// is killed at the end of the test if it is still running.
func Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	return StartCmd(t, cmd)
}

// StartCmd is [Start] for a command the caller has prepared (its Dir or
// Env, say). Its Stdin, Stdout and Stderr must be unset.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, Stdout: newStream("stdout"), Stderr: newStream("stderr"), done: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	// Pipes of our own rather than StdoutPipe: Wait then returns when the
	// program exits, and the test closes the read ends at its end even if
	// a process the program started still holds the write ends.
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go p.Stdout.copyFrom(outR)
	go p.Stderr.copyFrom(errR)
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		cmd.Process.Kill()
		<-p.done
		outR.Close()
		errR.Close()
	})
	return p
}

// Write writes s to the program's stdin.
func (p *Proc) Write(t testing.TB, s string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		t.Fatalf("write %q to the program's stdin: %v\n%s", s, err, p.Output())
	}
}

// CloseStdin closes the program's stdin: it reads the end of its input.
func (p *Proc) CloseStdin() { p.stdin.Close() }

// Wait waits for the program to exit and for its output to end, and
// returns its exit code (-1 if a signal ended it). It fails the test if
// that takes longer than Timeout.
func (p *Proc) Wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(Timeout):
		t.Fatalf("%s still runs after %v\n%s", p.Cmd.Path, Timeout, p.Output())
	}
	p.Stdout.WaitUntil(t, "the end of the output", nil)
	p.Stderr.WaitUntil(t, "the end of the output", nil)
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%s: %v", p.Cmd.Path, p.err)
	return 0
}

// Output returns what the program has printed so far, for failure messages.
func (p *Proc) Output() string {
	return "stdout:\n" + p.Stdout.String() + "\nstderr:\n" + p.Stderr.String()
}

// Stream is the collected output of one of a program's streams.
type Stream struct {
	name    string
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed, and replaced, at each write and at the end
	ended   bool
}

func newStream(name string) *Stream {
	return &Stream{name: name, changed: make(chan struct{})}
}

func (s *Stream) copyFrom(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		s.mu.Lock()
		s.buf.Write(buf[:n])
		if err != nil {
			s.ended = true
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// String returns everything the stream has carried so far.
func (s *Stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// WaitUntil waits until cond holds for everything the stream has carried,
// and returns that text; with cond nil it waits for the end of the stream.
// It fails the test if the stream ends first or after Timeout; what
// describes the awaited text in that message.
func (s *Stream) WaitUntil(t testing.TB, what string, cond func(text string) bool) string {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		text, changed, ended := s.buf.String(), s.changed, s.ended
		s.mu.Unlock()
		if cond == nil && ended || cond != nil && cond(text) {
			return text
		}
		if ended {
			t.Fatalf("%s ended without %s; it carried:\n%s", s.name, what, text)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %s on %s within %v; it carried:\n%s", what, s.name, Timeout, text)
		}
	}
}

// WaitFor waits until the stream has carried substr and returns the text
// up to the end of its first occurrence.
func (s *Stream) WaitFor(t testing.TB, substr string) string {
	t.Helper()
	text := s.WaitUntil(t, strconv.Quote(substr), func(text string) bool { return strings.Contains(text, substr) })
	return text[:strings.Index(text, substr)+len(substr)]
}

// WaitMatch waits until re matches the text the stream has carried and
// returns the match and its submatches.
func (s *Stream) WaitMatch(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	return re.FindStringSubmatch(s.WaitUntil(t, "a match for "+re.String(), re.MatchString))
}
