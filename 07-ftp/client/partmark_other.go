//go:build !linux && !darwin

package client

import (
	"errors"
	"os"
)

// markPart cannot mark a part file here: a download's part is not kept for
// a resume, and an existing LOCAL.part is never taken for one of ours.
func markPart(*os.File) error { return errors.ErrUnsupported }

func isMarkedPart(*os.File) bool { return false }

func unmarkPart(*os.File) {}

// openNoFollow is zero where open has no such flag; Lstat is checked first.
const openNoFollow = 0
