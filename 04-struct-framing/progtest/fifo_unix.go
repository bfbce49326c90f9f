//go:build unix

package progtest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// NamedPipe makes a named pipe (FIFO) in a temporary directory and opens
// it for reading and writing. A program the test starts can then wait on
// it ("head -n 1 PATH") until the test writes a line, or report to the
// test by writing to it. Held open at both ends by the test, the pipe
// keeps what is written until someone reads it, and opening it never
// blocks (Linux).
func NamedPipe(t testing.TB) (path string, f *os.File) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return path, f
}
