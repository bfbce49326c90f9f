package store

import (
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestDescribeNamesTheKindAndHidesServerPaths(t *testing.T) {
	for _, c := range []struct {
		err   error
		kind  Kind
		words string
	}{
		{fmt.Errorf("cd: %w", ErrOutside), KindOutside, "path is outside your home directory"},
		{&fs.PathError{Op: "open", Path: "/srv/data/users/ann/files/x", Err: fs.ErrNotExist}, KindNotFound, "no such file or directory"},
		{&fs.PathError{Op: "rmdir", Path: "/srv/data/users/ann/files/d", Err: syscall.ENOTEMPTY}, KindNotEmpty, "directory not empty"},
		{&fs.PathError{Op: "mkdir", Path: "/srv/data/users/ann/files/d", Err: syscall.EEXIST}, KindExists, "already exists"},
		{&fs.PathError{Op: "write", Path: "/srv/data/users/ann/files/x.part", Err: syscall.ENOSPC}, KindNoSpace, "no space left on the server's disk"},
		{fmt.Errorf("%w: 7", ErrOffset), KindOffset, "bad offset: 7"},
		{&fs.PathError{Op: "read", Path: "/srv/data/secret", Err: syscall.EIO}, KindOther, syscall.EIO.Error()},
	} {
		kind, words := Describe(c.err)
		if kind != c.kind || words != c.words {
			t.Errorf("Describe(%v) = %v, %q; want %v, %q", c.err, kind, words, c.kind, c.words)
		}
	}
}
