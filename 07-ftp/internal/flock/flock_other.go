//go:build !unix && !windows

package flock

import "os"

// tryLock does nothing where there is no advisory locking.
func tryLock(*os.File) error { return nil }
