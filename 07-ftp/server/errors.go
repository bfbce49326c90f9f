package server

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// describe classifies the error of a failed op as a code and words for
// the client. The words never contain a path on the server.
func describe(op string, err error) (code, text string) {
	var pe *fs.PathError
	inner := err
	if errors.As(err, &pe) {
		inner = pe.Err
	}
	switch {
	case errors.Is(err, store.ErrOutside):
		return proto.CodePath, "path is outside your home directory"
	case errors.Is(err, store.ErrBadName):
		return proto.CodePath, err.Error()
	case errors.Is(err, store.ErrQuota):
		return proto.CodeQuota, err.Error()
	case errors.Is(err, store.ErrBusy):
		return proto.CodeBusy, err.Error()
	case errors.Is(err, store.ErrChecksum), errors.Is(err, store.ErrSize):
		return proto.CodeChecksum, err.Error()
	case errors.Is(err, store.ErrIsDir):
		return proto.CodeIsDir, "is a directory"
	case errors.Is(err, store.ErrNotDir), errors.Is(err, syscall.ENOTDIR):
		return proto.CodeNotDir, "not a directory"
	case errors.Is(err, store.ErrNotRegular):
		return proto.CodeNotReg, "not a regular file"
	case errors.Is(err, fs.ErrNotExist):
		return proto.CodeNotFound, "no such file or directory"
	case errors.Is(err, syscall.ENOTEMPTY): // before ErrExist, which matches it too
		return proto.CodeNotEmpty, "directory not empty"
	case errors.Is(err, fs.ErrExist):
		return proto.CodeExists, "already exists"
	case errors.Is(err, syscall.ENOSPC) && op == "put":
		return proto.CodeInternal, "no space left on the server's disk; what arrived is kept, run the same put again to resume when there is room"
	case errors.Is(err, syscall.ENOSPC):
		return proto.CodeInternal, "no space left on the server's disk"
	}
	return proto.CodeInternal, inner.Error()
}
