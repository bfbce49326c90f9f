package ftpserver

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/gosockets/tutorial/07-ftp/store"
)

// describe turns an error of the store into an FTP reply code and the
// words the chapter's protocol uses for it. The words never hold a path
// on the server.
//
// 550 is FTP's "not taken: file unavailable" (not found, no access, out of
// the home); 552 its "exceeded storage allocation"; 553 "file name not
// allowed"; 450 a busy file; 452 a full disk; 554 a bad REST offset.
func describe(err error) (int, string) {
	var pe *fs.PathError
	inner := err
	if errors.As(err, &pe) {
		inner = pe.Err
	}
	switch {
	case errors.Is(err, store.ErrOutside):
		return 550, "path is outside your home directory"
	case errors.Is(err, store.ErrBadName):
		return 553, err.Error()
	case errors.Is(err, store.ErrQuota):
		return 552, err.Error()
	case errors.Is(err, store.ErrBusy):
		return 450, err.Error()
	case errors.Is(err, store.ErrOffset):
		return 554, err.Error()
	case errors.Is(err, store.ErrSize):
		return 451, err.Error()
	case errors.Is(err, store.ErrIsDir):
		return 550, "is a directory"
	case errors.Is(err, store.ErrNotDir), errors.Is(err, syscall.ENOTDIR):
		return 550, "not a directory"
	case errors.Is(err, store.ErrNotRegular):
		return 550, "not a regular file"
	case errors.Is(err, fs.ErrNotExist):
		return 550, "no such file or directory"
	case errors.Is(err, syscall.ENOTEMPTY): // before ErrExist, which matches it too
		return 550, "directory not empty"
	case errors.Is(err, fs.ErrExist):
		return 550, "already exists"
	case errors.Is(err, syscall.ENOSPC):
		return 452, "no space left on the server's disk"
	}
	return 451, inner.Error()
}
