// Package store is the storage core of the ftp server: every user's home,
// quota and uploads in progress, behind a small set of calls that any
// front end makes the same way (this chapter's protocol, or a standard FTP
// server on the same accounts).
//
// A front end opens a [Home] for each logged-in session and works through
// it. An upload is a lifecycle the core owns from start to end:
//
//	up, err := home.BeginUpload(ctx, "/docs/a.txt", store.UploadOptions{Size: n})
//	// up.Offset() bytes are already there (a resumed upload); send the rest
//	_, err = up.ReadFrom(conn) // written to a part file, hashed, within the quota
//	res, err := up.Commit(clientSum) // verified, synced, renamed over the target
//	// or up.Keep() (interrupted: the part stays for a resume), or up.Abort()
//
// and a download is [Home.BeginDownload], then [Download.Send]. Quotas,
// the rule of one writer per part file, the lock that orders commits and
// removals, and the checksum records all live here, shared by every
// session of a user, whatever protocol it speaks.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/internal/flock"
	"github.com/gosockets/tutorial/07-ftp/quota"
)

// Errors a front end branches on, besides those of the file system
// (fs.ErrNotExist, fs.ErrExist, syscall.ENOTEMPTY, syscall.ENOSPC).
var (
	// ErrOutside: the path leads out of the home.
	ErrOutside = homefs.ErrOutside
	// ErrBadName: the path or a name in it is not acceptable.
	ErrBadName = homefs.ErrBadName
	// ErrNotRegular: not a regular file (a FIFO, a device).
	ErrNotRegular = homefs.ErrNotRegular
	// ErrNotDir: a directory was needed.
	ErrNotDir = homefs.ErrNotDir
	// ErrIsDir: a regular file was needed.
	ErrIsDir = homefs.ErrIsDir
	// ErrQuota: the user's quota has no room.
	ErrQuota = quota.ErrExceeded
	// ErrBusy: another session is uploading the same file.
	ErrBusy = errors.New("busy: another session is uploading this file")
	// ErrSize: an upload's bytes do not add up to the size announced.
	ErrSize = errors.New("size mismatch")
	// ErrChecksum: an upload's SHA-256 is not the one the client sent.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrOffset: an upload asked to start where nothing is stored.
	ErrOffset = errors.New("bad offset")
	// ErrInUse: another process serves the data directory.
	ErrInUse = errors.New("data directory is in use by another server")
)

// Store is the data directory: users/NAME/ for each user, and the lock
// that keeps a second server off it. Its methods are safe for concurrent
// use.
type Store struct {
	dir  string
	lock *os.File

	mu    sync.Mutex
	users map[string]*user
}

// lockFile is the file in the data directory that an open Store holds an
// exclusive lock on.
const lockFile = "ftpd.lock"

// Open opens the data directory dir, creating it if needed. Quotas and the
// one-writer rule for part files are kept in this process's memory, so
// only one Store may serve a directory at a time: Open takes an exclusive
// lock on DIR/ftpd.lock, which the kernel drops when the process ends,
// however it ends, and fails with an error wrapping [ErrInUse] if another
// holds it. Close releases it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	lock, err := flock.Create(filepath.Join(dir, lockFile))
	if errors.Is(err, flock.ErrLocked) {
		return nil, fmt.Errorf("%s: %w", dir, ErrInUse)
	}
	if err != nil {
		return nil, err
	}
	return &Store{dir: dir, lock: lock, users: make(map[string]*user)}, nil
}

// Close releases the data directory. Homes opened from the store must be
// closed first.
func (s *Store) Close() error { return s.lock.Close() }

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// UserDir returns the directory that holds name's home, part files and
// checksum records.
func UserDir(dataDir, name string) string { return filepath.Join(dataDir, "users", name) }

// MeasureUsage returns what name stores under dataDir: the bytes of files
// and part files, and how many files, directories and part files there
// are. It is for reports such as "ftpd users", made while a server may be
// running.
func MeasureUsage(dataDir, name string) (bytes, files int64, err error) {
	u, err := homefs.DirUsage(UserDir(dataDir, name))
	return u.Bytes, u.Files, err
}

// DefaultFiles is the most files, directories and part files a user may
// have when their limit says zero. Each takes an inode on the server's
// disk, whatever its size, so the byte quota alone cannot keep one user
// from starving the others of inodes.
const DefaultFiles = 10000

// Limits are what one user may store.
type Limits struct {
	// Bytes is the quota: the most bytes of files and part files.
	Bytes int64
	// Files is the most files, directories and part files; zero means
	// DefaultFiles.
	Files int64
}

// FilesLimit returns Files, or DefaultFiles if Files is zero.
func (l Limits) FilesLimit() int64 {
	if l.Files <= 0 {
		return DefaultFiles
	}
	return l.Files
}

// Home returns a handle on name's home for one session. The first Open of
// a user measures what they store; later ones share that count, so that
// all sessions of a user draw on one quota. The limits are the account's
// as of this login; they apply to every session of the user from now on.
func (s *Store) Home(name string, lim Limits) (*Home, error) {
	fsys, err := homefs.Open(UserDir(s.dir, name))
	if err != nil {
		return nil, err
	}
	u, err := s.user(name, lim, fsys)
	if err != nil {
		fsys.Close()
		return nil, err
	}
	return &Home{u: u, fs: fsys}, nil
}

// user returns name's shared state, measuring its usage on first use.
func (s *Store) user(name string, lim Limits, fsys *homefs.FS) (*user, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[name]; ok {
		u.bytes.SetLimit(lim.Bytes)
		u.files.SetLimit(lim.FilesLimit())
		return u, nil
	}
	used, err := fsys.Usage()
	if err != nil {
		return nil, fmt.Errorf("cannot measure the usage of %s: %w", name, err)
	}
	u := &user{
		name:    name,
		bytes:   quota.NewUsage(used.Bytes, lim.Bytes),
		files:   quota.NewFiles(used.Files, lim.FilesLimit()),
		writing: make(map[string]chan struct{}),
	}
	s.users[name] = u
	return u, nil
}

// user is what all sessions of one user share.
type user struct {
	name  string
	bytes *quota.Usage
	files *quota.Usage

	// mu orders the changes that move bytes in or out of the home (commit
	// of an upload, removal), so that the bytes they free are counted
	// exactly once, and guards writing.
	mu sync.Mutex
	// writing holds the paths with an upload in progress, each with a
	// channel closed when that upload ends: one writer per part file.
	writing map[string]chan struct{}
}

// acquire makes this the one writer of v's part file, waiting while
// another upload holds it, until ctx ends.
func (u *user) acquire(ctx context.Context, v string) error {
	for {
		u.mu.Lock()
		held, busy := u.writing[v]
		if !busy {
			u.writing[v] = make(chan struct{})
		}
		u.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-held:
		case <-ctx.Done():
			return ErrBusy
		}
	}
}

func (u *user) release(v string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	close(u.writing[v])
	delete(u.writing, v)
}

// Cleaned reports the part files that CleanParts removed for one user.
type Cleaned struct {
	User  string
	Count int
	Bytes int64
}

// CleanParts removes the part files of every user that have not been
// written for maxAge, except those being written now, and reports what it
// removed. The bytes leave the quota of a user whose usage is counted.
func (s *Store) CleanParts(maxAge time.Duration) []Cleaned {
	dirs, err := os.ReadDir(filepath.Join(s.dir, "users"))
	if err != nil {
		return nil
	}
	var out []Cleaned
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if c := s.cleanUser(d.Name(), maxAge); c.Count > 0 {
			out = append(out, c)
		}
	}
	return out
}

func (s *Store) cleanUser(name string, maxAge time.Duration) Cleaned {
	fsys, err := homefs.Open(UserDir(s.dir, name))
	if err != nil {
		return Cleaned{User: name}
	}
	defer fsys.Close()
	s.mu.Lock()
	u := s.users[name]
	s.mu.Unlock()
	busy := func(string) bool { return false }
	if u != nil {
		// Hold the user's lock so that no upload starts on a part while
		// it is being removed.
		u.mu.Lock()
		defer u.mu.Unlock()
		busy = func(part string) bool {
			for v := range u.writing {
				if homefs.PartName(v) == part {
					return true
				}
			}
			return false
		}
	}
	n, freed := fsys.CleanParts(maxAge, time.Now(), busy)
	if u != nil {
		u.bytes.Release(freed)
		u.files.Release(int64(n))
	}
	return Cleaned{User: name, Count: n, Bytes: freed}
}
