// Package proctest runs programs as processes in tests, the way a person
// runs them in a terminal: it builds a module's commands into the test's
// temporary directory, starts them with a pipe on standard input, and waits
// for what they print on standard output and standard error.
//
// Every wait is bounded by [Wait], so a test whose program hangs fails in
// seconds instead of hanging too. The end-to-end and note tests of chapters
// 01 and 02 use it.
package proctest

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Wait bounds each wait for a process to print something or to exit.
const Wait = 20 * time.Second

// buildTimeout bounds one go build, which is slow on a busy machine.
const buildTimeout = 5 * time.Minute

// Build compiles the main packages pkgs (import paths such as
// "github.com/gosockets/tutorial/01-tcp-echo/cmd/server") into a fresh
// temporary directory and returns the executables' paths, in the order of
// pkgs. The last elements of the package paths must differ.
func Build(t testing.TB, pkgs ...string) []string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	paths := make([]string, len(pkgs))
	for i, pkg := range pkgs {
		name := path.Base(pkg)
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		paths[i] = filepath.Join(dir, name)
	}
	return paths
}

// Python returns the path of python3. Without it the test is skipped, or,
// when the environment variable CI is "true", fails: CI installs python3.
func Python(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is needed for the Python interop tests and CI=true: %v", err)
		}
		t.Skipf("skipping: python3 not found (%v)", err)
	}
	return p
}

// Proc is a running program. What it prints is collected as it comes, so a
// test can wait for a given output while the program goes on running.
type Proc struct {
	Stdout, Stderr *Stream

	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // nil when Start was given a file
	done  chan struct{}  // closed when the program has exited
	err   error          // from cmd.Wait, valid once done is closed
}

// Start runs name with args; its standard input is a pipe the test writes
// to with [Proc.Type]. At cleanup the program is killed if it still runs,
// and if the test failed, what it printed is logged.
func Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	return StartStdin(t, nil, name, args...)
}

// StartStdin is [Start] with stdin as the program's standard input instead
// of a pipe, unless stdin is nil. A pseudo-terminal from [OpenPTY] makes the
// program believe a person is typing.
func StartStdin(t testing.TB, stdin *os.File, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{
		Stdout: &Stream{name: filepath.Base(name) + " stdout", changed: make(chan struct{})},
		Stderr: &Stream{name: filepath.Base(name) + " stderr", changed: make(chan struct{})},
		name:   filepath.Base(name),
		cmd:    exec.Command(name, args...),
		done:   make(chan struct{}),
	}
	var err error
	if stdin != nil {
		p.cmd.Stdin = stdin
	} else if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	var copying sync.WaitGroup
	copying.Go(func() { p.Stdout.fill(stdout) })
	copying.Go(func() { p.Stderr.fill(stderr) })
	go func() {
		copying.Wait() // Wait closes the pipes: read them to the end first
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			p.cmd.Process.Kill()
		}
		<-p.done
		if t.Failed() {
			t.Logf("%s printed on stdout:\n%s\nand on stderr:\n%s", p.name, p.Stdout.String(), p.Stderr.String())
		}
	})
	return p
}

// Type writes s to the program's standard input, as if typed.
func (p *Proc) Type(t testing.TB, s string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		t.Fatalf("typing %q to %s: %v", s, p.name, err)
	}
}

// CloseStdin ends the program's input, as Ctrl-D does at a terminal.
func (p *Proc) CloseStdin(t testing.TB) {
	t.Helper()
	if err := p.stdin.Close(); err != nil {
		t.Fatalf("closing the input of %s: %v", p.name, err)
	}
}

// Signal sends sig to the program.
func (p *Proc) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
}

// Exited reports whether the program has exited, without waiting.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Exit waits for the program to exit and returns its exit status.
func (p *Proc) Exit(t testing.TB) int {
	t.Helper()
	timer := time.NewTimer(Wait)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Fatalf("%s did not exit within %v", p.name, Wait)
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatalf("waiting for %s: %v", p.name, p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// Result is what a program left when it exited.
type Result struct {
	Stdout, Stderr string
	Code           int // exit status
}

// Run runs name with args to the end, with stdin as its whole input.
func Run(t testing.TB, stdin string, name string, args ...string) Result {
	t.Helper()
	p := Start(t, name, args...)
	p.Type(t, stdin)
	p.CloseStdin(t)
	code := p.Exit(t)
	return Result{Stdout: p.Stdout.String(), Stderr: p.Stderr.String(), Code: code}
}

// Stream is one output of a program: all it has printed so far, and a
// cursor that the Next methods move past what they return.
type Stream struct {
	name    string
	mu      sync.Mutex
	buf     []byte
	pos     int           // the cursor
	eof     bool          // the program closed this output
	changed chan struct{} // closed and replaced when buf grows or eof is set
}

// fill copies r into s until r ends.
func (s *Stream) fill(r io.Reader) {
	chunk := make([]byte, 4096)
	for {
		n, err := r.Read(chunk)
		s.mu.Lock()
		s.buf = append(s.buf, chunk[:n]...)
		if err != nil {
			s.eof = true
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// String returns everything printed so far.
func (s *Stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf)
}

// next waits until match finds what it looks for after the cursor, moves
// the cursor past the n bytes match consumed and returns them.
func (s *Stream) next(t testing.TB, what string, match func(rest []byte) (n int, ok bool)) string {
	t.Helper()
	timer := time.NewTimer(Wait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		rest := s.buf[s.pos:]
		if n, ok := match(rest); ok {
			s.pos += n
			s.mu.Unlock()
			return string(rest[:n])
		}
		eof, changed := s.eof, s.changed
		s.mu.Unlock()
		if eof {
			t.Fatalf("%s ended before %s; unread: %q", s.name, what, rest)
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("%s showed no %s within %v; unread: %q", s.name, what, Wait, rest)
		}
	}
}

// Next returns the output from the cursor up to and including the first
// delim.
func (s *Stream) Next(t testing.TB, delim string) string {
	t.Helper()
	return s.next(t, "text ending in "+quote(delim), func(rest []byte) (int, bool) {
		i := strings.Index(string(rest), delim)
		return i + len(delim), i >= 0
	})
}

// NextN returns the next n bytes of output.
func (s *Stream) NextN(t testing.TB, n int) string {
	t.Helper()
	return s.next(t, "further bytes", func(rest []byte) (int, bool) {
		return n, len(rest) >= n
	})
}

// Line returns the next line that contains substr, without its newline,
// skipping the lines before it.
func (s *Stream) Line(t testing.TB, substr string) string {
	t.Helper()
	var line string
	s.next(t, "line containing "+quote(substr), func(rest []byte) (int, bool) {
		n := 0
		for {
			i := strings.IndexByte(string(rest[n:]), '\n')
			if i < 0 {
				return 0, false
			}
			if l := string(rest[n : n+i]); strings.Contains(l, substr) {
				line = strings.TrimSuffix(l, "\r")
				return n + i + 1, true
			}
			n += i + 1
		}
	})
	return line
}

// After returns what follows prefix in the next line that contains it, such
// as the address in a server's "listening on ADDR" line.
func (s *Stream) After(t testing.TB, prefix string) string {
	t.Helper()
	_, rest, _ := strings.Cut(s.Line(t, prefix), prefix)
	return rest
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"` }
