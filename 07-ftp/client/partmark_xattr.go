//go:build linux || darwin

package client

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// partMark is the extended attribute that marks a part file as made by
// this client's get, so that a later get knows it may resume it, or
// discard it, and leaves every other file alone.
const partMark = "user.gosockets-ftp.part"

// markPart marks f as a part file made by get. It fails where the file
// system keeps no extended attributes; the download then goes on, but its
// part is not kept for a resume.
func markPart(f *os.File) error {
	return unix.Fsetxattr(int(f.Fd()), partMark, []byte("1"), 0)
}

// isMarkedPart reports whether f carries the mark of markPart.
func isMarkedPart(f *os.File) bool {
	var b [8]byte
	n, err := unix.Fgetxattr(int(f.Fd()), partMark, b[:])
	return err == nil && string(b[:n]) == "1"
}

// unmarkPart removes the mark (best effort).
func unmarkPart(f *os.File) { unix.Fremovexattr(int(f.Fd()), partMark) }

// openNoFollow makes an open fail on a symlink instead of following it.
const openNoFollow = syscall.O_NOFOLLOW
