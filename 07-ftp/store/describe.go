package store

import (
	"errors"
	"io/fs"
	"syscall"
)

// Kind is what went wrong in a call of the store, for a front end to turn
// into a reply code of its own protocol.
type Kind int

// The kinds of [Describe], most specific first.
const (
	KindOther      Kind = iota // none of these: the words are the error's own
	KindOutside                // ErrOutside
	KindBadName                // ErrBadName
	KindQuota                  // ErrQuota
	KindBusy                   // ErrBusy
	KindOffset                 // ErrOffset
	KindChecksum               // ErrChecksum
	KindSize                   // ErrSize
	KindIsDir                  // ErrIsDir
	KindNotDir                 // ErrNotDir, or ENOTDIR from the file system
	KindNotRegular             // ErrNotRegular
	KindNotFound               // fs.ErrNotExist
	KindNotEmpty               // ENOTEMPTY
	KindExists                 // fs.ErrExist
	KindNoSpace                // ENOSPC: the server's disk is full
)

// Describe classifies an error of the store and gives the words a client
// is told, the same whichever protocol tells them. The words never hold a
// path on the server: a *fs.PathError is reduced to its cause.
func Describe(err error) (Kind, string) {
	var pe *fs.PathError
	inner := err
	if errors.As(err, &pe) {
		inner = pe.Err
	}
	switch {
	case errors.Is(err, ErrOutside):
		return KindOutside, "path is outside your home directory"
	case errors.Is(err, ErrBadName):
		return KindBadName, err.Error()
	case errors.Is(err, ErrQuota):
		return KindQuota, err.Error()
	case errors.Is(err, ErrBusy):
		return KindBusy, err.Error()
	case errors.Is(err, ErrOffset):
		return KindOffset, err.Error()
	case errors.Is(err, ErrChecksum):
		return KindChecksum, err.Error()
	case errors.Is(err, ErrSize):
		return KindSize, err.Error()
	case errors.Is(err, ErrIsDir):
		return KindIsDir, "is a directory"
	case errors.Is(err, ErrNotDir), errors.Is(err, syscall.ENOTDIR):
		return KindNotDir, "not a directory"
	case errors.Is(err, ErrNotRegular):
		return KindNotRegular, "not a regular file"
	case errors.Is(err, fs.ErrNotExist):
		return KindNotFound, "no such file or directory"
	case errors.Is(err, syscall.ENOTEMPTY): // before ErrExist, which matches it too
		return KindNotEmpty, "directory not empty"
	case errors.Is(err, fs.ErrExist):
		return KindExists, "already exists"
	case errors.Is(err, syscall.ENOSPC):
		return KindNoSpace, "no space left on the server's disk"
	}
	return KindOther, inner.Error()
}
