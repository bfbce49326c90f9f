// Package bintest builds a chapter's programs once per test process, for
// the tests that run them as a person would.
package bintest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Programs is a set of programs built together, once, into one temporary
// directory. The zero value is ready to use; a test package keeps one in
// a variable and calls Remove from TestMain.
type Programs struct {
	once  sync.Once
	dir   string
	paths []string
	err   error
}

// Build compiles each package directory (relative to the test's package,
// as `go build` takes it) the first time it is called, and returns the
// paths of the programs in the order given; each is named after its
// directory. A failed build fails t, then and at every later call.
func (p *Programs) Build(t testing.TB, pkgs ...string) []string {
	t.Helper()
	p.once.Do(func() { p.err = p.build(pkgs) })
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p.paths
}

func (p *Programs) build(pkgs []string) error {
	dir, err := os.MkdirTemp("", "bintest-")
	if err != nil {
		return err
	}
	p.dir = dir
	for _, pkg := range pkgs {
		abs, err := filepath.Abs(pkg)
		if err != nil {
			return err
		}
		exe := filepath.Join(dir, filepath.Base(abs))
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		if out, err := exec.Command("go", "build", "-o", exe, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
		p.paths = append(p.paths, exe)
	}
	return nil
}

// Remove deletes the programs built; call it after m.Run in TestMain.
func (p *Programs) Remove() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Tool returns the path of a program nobody here wrote (curl, lftp,
// python3) that a test drives. Where it is not installed the test is
// skipped with a reason, or, under CI=true, where .ci/run installs it,
// failed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed; this test drives it (apt-get install -y %s, as .ci/run does)", name, name)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// Buffer is a bytes.Buffer that a program's output and a test's reads may
// use at the same time.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
