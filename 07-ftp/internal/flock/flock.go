// Package flock takes exclusive advisory locks on open files. The kernel
// releases a lock when its file is closed or its process dies, so a lock
// left by a crashed (even SIGKILLed) process never needs cleaning up.
package flock

import (
	"errors"
	"os"
)

// ErrLocked is returned by [TryLock] when another open file description
// (usually another process) holds the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock takes an exclusive lock on f without waiting. It returns
// ErrLocked if the lock is held elsewhere. The lock lasts until f is
// closed.
func TryLock(f *os.File) error { return tryLock(f) }

// Create opens (creating if needed) the file at path and locks it; the
// caller keeps the file open for as long as it needs the lock.
func Create(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := TryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
