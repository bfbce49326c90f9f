package homefs

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFIFOIsRefused: a FIFO in a home is neither opened (which would block)
// nor served.
func TestFIFOIsRefused(t *testing.T) {
	dir := t.TempDir()
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Mkfifo(filepath.Join(dir, "files", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.OpenFile("/pipe"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("OpenFile(/pipe) = %v, want ErrNotRegular", err)
	}
}
