// Package e2etest runs this chapter's real binaries in tests, the way a
// student runs them: built with go build, started with flags, and read
// through the log lines they print on stderr.
package e2etest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait in these helpers, so a broken binary fails the
// test in seconds instead of hanging it.
const Timeout = 10 * time.Second

// Binary is the command in the test's working directory (the package under
// test), compiled once per test binary: -count=N runs the tests N times but
// builds once.
type Binary struct {
	Name string // file name of the built binary

	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// Path builds the binary on first use and returns its path.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", b.Name+"-e2e")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, b.Name)
		b.out, b.err = exec.Command("go", "build", "-o", b.path, ".").CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build: %v\n%s", b.err, b.out)
	}
	return b.path
}

// Remove deletes the built binary; call it from TestMain after m.Run.
func (b *Binary) Remove() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// Start runs bin with args and waits until it logs "msg=listening" with an
// addr= field. It returns that address, the command, the log collected so
// far and from then on, and a channel that receives the exit status. The
// process is killed when the test ends.
func Start(t *testing.T, bin string, args ...string) (string, *exec.Cmd, *Log, chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &Log{}
	addrc := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			log.writeLine(line)
			if strings.Contains(line, "msg=listening") {
				for _, f := range strings.Fields(line) {
					if a, ok := strings.CutPrefix(f, "addr="); ok {
						addrc <- a
					}
				}
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case a := <-addrc:
		return a, cmd, log, exited
	case err := <-exited:
		t.Fatalf("%s exited before listening: %v\n%s", filepath.Base(bin), err, log)
	case <-time.After(Timeout):
		t.Fatalf("%s did not log its address within %v\n%s", filepath.Base(bin), Timeout, log)
	}
	return "", nil, nil, nil
}

// Log is the stderr of a running binary, safe to read while it grows.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Log) writeLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s + "\n")
}

// String returns every line logged so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
