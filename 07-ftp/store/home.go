package store

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"time"

	"github.com/gosockets/tutorial/07-ftp/homefs"
)

// Resolve joins the virtual current directory cwd (an absolute slash path
// such as "/docs", where "/" is the home) with p, which may be absolute or
// relative, and returns the cleaned absolute virtual path that every
// method of [Home] takes. A path that climbs above the home, contains a
// NUL byte or has a name over 255 bytes is refused before the file system
// is touched.
func Resolve(cwd, p string) (string, error) { return homefs.Resolve(cwd, p) }

// Home is one session's handle on a user's home. Its paths are virtual
// absolute paths as returned by [Resolve]. A Home is used by one session
// at a time; what it shares with the user's other sessions (the quota,
// the uploads in progress) is safe for concurrent use.
type Home struct {
	u  *user
	fs *homefs.FS
}

// Close releases the home's directory handles.
func (h *Home) Close() error { return h.fs.Close() }

// User returns the name of the home's user.
func (h *Home) User() string { return h.u.name }

// Usage is what a user stores against their limits.
type Usage struct {
	// Bytes counts the sizes of the regular files in the home and of the
	// part files, and the room reserved by uploads in progress.
	Bytes, BytesLimit int64
	// Files counts the files, directories and symlinks in the home and
	// the part files.
	Files, FilesLimit int64
}

// Usage returns what the user stores now, across all their sessions.
func (h *Home) Usage() Usage {
	var u Usage
	u.Bytes, u.BytesLimit = h.u.bytes.Get()
	u.Files, u.FilesLimit = h.u.files.Get()
	return u
}

// Entry describes one name in the home.
type Entry struct {
	Name string
	// Type is "dir", "file", "link" or "other".
	Type    string
	Mode    fs.FileMode
	Size    int64 // of a regular file; zero for anything else
	ModTime time.Time
}

func entryOf(fi os.FileInfo) Entry {
	e := Entry{Name: fi.Name(), Type: "other", Mode: fi.Mode(), ModTime: fi.ModTime().UTC()}
	switch m := fi.Mode(); {
	case m.IsDir():
		e.Type = "dir"
	case m.IsRegular():
		e.Type, e.Size = "file", fi.Size()
	case m&fs.ModeSymlink != 0:
		e.Type = "link"
	}
	return e
}

// Stat describes v, following symlinks that stay inside the home.
func (h *Home) Stat(v string) (Entry, error) {
	fi, err := h.fs.Stat(v)
	if err != nil {
		return Entry{}, err
	}
	return entryOf(fi), nil
}

// Chdir checks that v is a directory and returns it, for a session's new
// current directory.
func (h *Home) Chdir(v string) (string, error) { return h.fs.Chdir(v) }

// errStop ends a listing that its consumer stopped.
var errStop = errors.New("listing stopped")

// List yields the entries of directory v (or v itself if it is not a
// directory) in the order the directory holds them, reading a batch at a
// time, so that a directory of any size is listed in bounded memory. An
// error ends the sequence.
func (h *Home) List(v string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		err := h.fs.List(v, func(fi os.FileInfo) error {
			if !yield(entryOf(fi), nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(Entry{}, err)
		}
	}
}

// Mkdir creates directory v, if the user may have one more file.
func (h *Home) Mkdir(v string) error {
	if err := h.u.files.Reserve(1); err != nil {
		return err
	}
	h.u.mu.Lock() // no rename into v meanwhile
	err := h.fs.Mkdir(v)
	h.u.mu.Unlock()
	if err != nil {
		h.u.files.Release(1)
	}
	return err
}

// Rename moves from to to within the home (FTP's RNFR and RNTO). It
// replaces nothing (fs.ErrExist if to exists) and does not move a
// directory into itself. The quota does not change, and the checksum
// records follow the files.
func (h *Home) Rename(from, to string) error {
	h.u.mu.Lock() // no commit or mkdir makes to meanwhile
	defer h.u.mu.Unlock()
	return h.fs.Rename(from, to)
}

// Remove removes the file, symlink or empty directory v and returns the
// bytes it freed. Its checksum record goes with it.
func (h *Home) Remove(v string) (int64, error) { return h.remove(v, nil) }

// RemoveFile removes v if it is not a directory (FTP's DELE).
func (h *Home) RemoveFile(v string) (int64, error) {
	return h.remove(v, func(e Entry) error {
		if e.Type == "dir" {
			return fmt.Errorf("%w: %s", ErrIsDir, v)
		}
		return nil
	})
}

// RemoveDir removes v if it is an empty directory (FTP's RMD).
func (h *Home) RemoveDir(v string) error {
	_, err := h.remove(v, func(e Entry) error {
		if e.Type != "dir" {
			return fmt.Errorf("%w: %s", ErrNotDir, v)
		}
		return nil
	})
	return err
}

// remove removes v if check (when not nil) accepts what v is, under the
// user's lock, so that the bytes it frees leave the quota exactly once.
func (h *Home) remove(v string, check func(Entry) error) (int64, error) {
	h.u.mu.Lock()
	defer h.u.mu.Unlock()
	if check != nil {
		fi, err := h.fs.Lstat(v)
		if err != nil {
			return 0, err
		}
		if err := check(entryOf(fi)); err != nil {
			return 0, err
		}
	}
	freed, err := h.fs.Remove(v)
	if err != nil {
		return 0, err
	}
	h.u.bytes.Release(freed)
	h.u.files.Release(1)
	return freed, nil
}

// Sum returns the SHA-256 recorded for v when it was uploaded, if v has
// not changed since (its size and modification time are those recorded).
func (h *Home) Sum(v string) (string, bool) {
	fi, err := h.fs.Stat(v)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	return h.fs.Sum(v, fi)
}

// CheckRoom reports whether n more bytes would fit the quota now, without
// reserving them (FTP's ALLO).
func (h *Home) CheckRoom(n int64) error {
	if err := h.u.bytes.Reserve(n); err != nil {
		return err
	}
	h.u.bytes.Release(n)
	return nil
}
