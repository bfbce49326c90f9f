package flock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSecondLockFailsUntilFirstIsClosed: a second open of the same file
// cannot take the lock while the first holds it, and can once it is closed.
func TestSecondLockFailsUntilFirstIsClosed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	first, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Create = %v, want ErrLocked", err)
	}
	first.Close()
	second, err := Create(p)
	if err != nil {
		t.Fatalf("Create after the first closed = %v", err)
	}
	second.Close()
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
}
