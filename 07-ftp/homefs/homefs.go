// Package homefs gives one user access to their home directory and nothing
// else.
//
// Each user's directory under the data directory holds three folders:
//
//	files/  the home the user sees as "/"
//	parts/  uploads in progress, one part file per target path
//	sums/   the verified SHA-256 of each stored file (see [FS.Sum])
//
// Every operation on a user's path goes through an [os.Root] opened on
// files/, so "..", absolute paths and symlinks that point out of the home
// all fail, and a sibling home whose name shares a prefix (alice and
// alice_a) is a different directory, not a string match. os.Root has no
// chdir, so the current directory is a virtual slash path that [Resolve]
// combines with the path a user typed.
package homefs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MaxName is the longest file name (one path component) accepted, in bytes.
const MaxName = 255

// Errors for paths that are refused before the file system is touched, or
// that the file system refused because they lead out of the home.
var (
	ErrOutside    = errors.New("path is outside the home directory")
	ErrBadName    = errors.New("invalid file name")
	ErrNotRegular = errors.New("not a regular file")
	ErrNotDir     = errors.New("not a directory")
	ErrIsDir      = errors.New("is a directory")
)

// Resolve joins the virtual current directory cwd (an absolute slash path
// such as "/docs") with p, which may be absolute (from the home) or
// relative. It returns the cleaned absolute virtual path, or an error for a
// path that climbs above the home at any point, contains a NUL byte, or has a
// name longer than MaxName bytes. It does not touch the file system.
func Resolve(cwd, p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%w: empty path", ErrBadName)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("%w: path contains a NUL byte", ErrBadName)
	}
	var parts []string
	if !strings.HasPrefix(p, "/") {
		for _, c := range strings.Split(cwd, "/") {
			if c != "" {
				parts = append(parts, c)
			}
		}
	}
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == ".":
		case c == "..":
			if len(parts) == 0 {
				return "", fmt.Errorf("%w: %q", ErrOutside, p)
			}
			parts = parts[:len(parts)-1]
		case len(c) > MaxName:
			return "", fmt.Errorf("%w: a name is %d bytes long, limit %d", ErrBadName, len(c), MaxName)
		default:
			parts = append(parts, c)
		}
	}
	return "/" + strings.Join(parts, "/"), nil
}

// rel turns a virtual absolute path into a name relative to the home.
func rel(v string) string {
	r := strings.TrimPrefix(v, "/")
	if r == "" {
		return "."
	}
	return r
}

// FS is one user's storage. Its methods take virtual absolute paths as
// returned by Resolve.
type FS struct {
	dir   string
	user  *os.Root // dir: files/, parts/, sums/
	files *os.Root // dir/files: the home
}

// Open opens (creating if needed) the user directory dir.
func Open(dir string) (*FS, error) {
	for _, sub := range []string{"files", "parts", "sums"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, err
		}
	}
	user, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	files, err := user.OpenRoot("files")
	if err != nil {
		user.Close()
		return nil, err
	}
	return &FS{dir: dir, user: user, files: files}, nil
}

// Close releases the directory handles.
func (f *FS) Close() error {
	return errors.Join(f.files.Close(), f.user.Close())
}

// jailErr turns os.Root's error for a path that escapes into ErrOutside.
func jailErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent" {
		return fmt.Errorf("%w: %s", ErrOutside, pe.Path)
	}
	return err
}

// Stat returns information about v, following symlinks inside the home.
func (f *FS) Stat(v string) (os.FileInfo, error) {
	fi, err := f.files.Stat(rel(v))
	return fi, jailErr(err)
}

// Lstat returns information about v itself, not following a symlink.
func (f *FS) Lstat(v string) (os.FileInfo, error) {
	fi, err := f.files.Lstat(rel(v))
	return fi, jailErr(err)
}

// Chdir checks that v is a directory and returns it.
func (f *FS) Chdir(v string) (string, error) {
	fi, err := f.Stat(v)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrNotDir, v)
	}
	return v, nil
}

// List calls fn with each entry of directory v, in the order the
// directory holds them, reading them a batch at a time so that memory does
// not grow with the directory; if v is not a directory, fn gets v itself.
// Symlinks are listed, not followed. An error from fn stops the listing
// and is returned.
func (f *FS) List(v string, fn func(os.FileInfo) error) error {
	fi, err := f.Stat(v)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fn(fi)
	}
	d, err := f.files.Open(rel(v))
	if err != nil {
		return jailErr(err)
	}
	defer d.Close()
	for {
		ents, err := d.ReadDir(listBatch)
		for _, e := range ents {
			info, ierr := e.Info()
			if ierr != nil {
				continue // removed while listing
			}
			if err := fn(info); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// listBatch is how many directory entries List reads at a time.
const listBatch = 256

// Mkdir creates directory v, at most MaxDepth levels below the home.
func (f *FS) Mkdir(v string) error {
	if v == "/" {
		return fmt.Errorf("mkdir /: %w", fs.ErrExist)
	}
	if n := strings.Count(v, "/"); n > MaxDepth {
		return fmt.Errorf("%w: directories nest %d deep, limit %d", ErrBadName, n, MaxDepth)
	}
	return jailErr(f.files.Mkdir(rel(v), 0o750))
}

// Remove removes the file, symlink or empty directory v and returns the
// bytes it freed (the size of a regular file, else zero).
func (f *FS) Remove(v string) (int64, error) {
	if v == "/" {
		return 0, fmt.Errorf("%w: cannot remove the home itself", ErrBadName)
	}
	fi, err := f.files.Lstat(rel(v))
	if err != nil {
		return 0, jailErr(err)
	}
	if err := f.files.Remove(rel(v)); err != nil {
		return 0, jailErr(err)
	}
	if fi.Mode().IsRegular() {
		f.removeSum(v, fi)
		return fi.Size(), nil
	}
	return 0, nil
}

// Rename moves from to to, within the home. It refuses to replace
// anything at to, and to move a directory into itself. The checksum
// record of a file follows it (on Unix, those of every file under a
// directory too: records are kept by inode).
func (f *FS) Rename(from, to string) error {
	if from == "/" || to == "/" {
		return fmt.Errorf("%w: cannot move the home itself", ErrBadName)
	}
	if n := strings.Count(to, "/"); n > MaxDepth {
		return fmt.Errorf("%w: directories nest %d deep, limit %d", ErrBadName, n, MaxDepth)
	}
	fi, err := f.files.Lstat(rel(from))
	if err != nil {
		return jailErr(err)
	}
	if _, err := f.files.Lstat(rel(to)); err == nil {
		return fmt.Errorf("%s: %w", to, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return jailErr(err)
	}
	if fi.IsDir() && strings.HasPrefix(to+"/", from+"/") {
		return fmt.Errorf("%w: cannot move a directory into itself", ErrBadName)
	}
	if err := f.files.Rename(rel(from), rel(to)); err != nil {
		return jailErr(err)
	}
	if _, byID := fileID(fi); !byID && fi.Mode().IsRegular() {
		f.user.Rename(sumName(from, fi), sumName(to, fi))
	}
	return nil
}

// OpenFile opens v for reading if it is a regular file. FIFOs and devices
// are refused (and opened without blocking, so a FIFO cannot stall the
// session).
func (f *FS) OpenFile(v string) (*os.File, os.FileInfo, error) {
	fi, err := f.Stat(v)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("%w: %s", ErrIsDir, v)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotRegular, v)
	}
	file, err := f.files.OpenFile(rel(v), os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, jailErr(err)
	}
	fi, err = file.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: %s", ErrNotRegular, v)
	}
	if err != nil {
		file.Close()
		return nil, nil, err
	}
	return file, fi, nil
}

// CheckTarget checks that an upload to v can be committed: its directory
// exists and v is not a directory. It returns the size of the regular file
// that v would replace, or -1 if there is none.
func (f *FS) CheckTarget(v string) (int64, error) {
	if v == "/" {
		return 0, fmt.Errorf("%w: /", ErrIsDir)
	}
	if _, err := f.Chdir(pathDir(v)); err != nil {
		return 0, err
	}
	fi, err := f.files.Lstat(rel(v))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return -1, nil
	case err != nil:
		return 0, jailErr(err)
	case fi.IsDir():
		return 0, fmt.Errorf("%w: %s", ErrIsDir, v)
	case !fi.Mode().IsRegular():
		return 0, fmt.Errorf("%w: %s", ErrNotRegular, v)
	}
	return fi.Size(), nil
}

func pathDir(v string) string {
	i := strings.LastIndexByte(v, '/')
	if i <= 0 {
		return "/"
	}
	return v[:i]
}

// key names the part file of virtual path v (and, where files have no
// stable identity, its checksum record).
func key(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:16])
}

// PartName returns the name of v's part file relative to the user directory.
func PartName(v string) string { return "parts/" + key(v) + ".part" }

// OpenPart opens v's part file for writing and returns it with its
// current size; an existing part is kept: an upload that resumes writes
// after its bytes (at explicit offsets, see [PartWriter]; the file is not
// opened in append mode). If there is none, OpenPart fails with an error
// wrapping fs.ErrNotExist, or with create, makes it.
func (f *FS) OpenPart(v string, create bool) (*os.File, int64, error) {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE | os.O_EXCL
	}
	file, err := f.user.OpenFile(PartName(v), flag, 0o640)
	if err != nil {
		return nil, 0, err
	}
	fi, err := file.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: part file", ErrNotRegular)
	}
	if err != nil {
		file.Close()
		return nil, 0, err
	}
	return file, fi.Size(), nil
}

// RemovePart removes v's part file, if any, and returns its size.
func (f *FS) RemovePart(v string) int64 {
	fi, err := f.user.Lstat(PartName(v))
	if err != nil {
		return 0
	}
	if f.user.Remove(PartName(v)) != nil {
		return 0
	}
	return fi.Size()
}

// CleanParts removes the part files not modified for maxAge, except those
// for which busy(name) reports true (name as returned by [PartName]), and
// returns how many it removed and the bytes it freed.
func (f *FS) CleanParts(maxAge time.Duration, now time.Time, busy func(name string) bool) (int, int64) {
	d, err := f.user.Open("parts")
	if err != nil {
		return 0, 0
	}
	defer d.Close()
	ents, _ := d.ReadDir(-1)
	n, freed := 0, int64(0)
	for _, e := range ents {
		name := "parts/" + e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".part") || busy(name) {
			continue
		}
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < maxAge {
			continue
		}
		if f.user.Remove(name) == nil {
			n++
			freed += fi.Size()
		}
	}
	return n, freed
}

// Commit renames v's part file to v, replacing any file there, and records
// sum as its verified SHA-256. It returns the size of the file replaced, or
// -1 if there was none. The caller has synced the part file.
func (f *FS) Commit(v, sum string) (int64, error) {
	replaced, err := f.CheckTarget(v)
	if err != nil {
		return 0, err
	}
	old, _ := f.files.Lstat(rel(v))
	if err := f.user.Rename(PartName(v), "files/"+rel(v)); err != nil {
		return 0, jailErr(err)
	}
	if old != nil {
		f.removeSum(v, old)
	}
	if d, err := f.files.Open(rel(pathDir(v))); err == nil {
		d.Sync() // make the rename durable; best effort
		d.Close()
	}
	if fi, err := f.files.Lstat(rel(v)); err == nil {
		f.setSum(v, fi, sum)
	}
	return replaced, nil
}

// sumRecord is what sums/ holds for one file: the checksum and the size and
// modification time it was computed for, so a file changed by other means
// is not served with a stale checksum.
type sumRecord struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

// sumName names the checksum record of the file fi at v: by the file's
// identity where the system has one (so it follows renames), else by path.
func sumName(v string, fi os.FileInfo) string {
	if id, ok := fileID(fi); ok {
		return "sums/" + id + ".json"
	}
	return "sums/" + key(v) + ".json"
}

func (f *FS) setSum(v string, fi os.FileInfo, sum string) {
	b, _ := json.Marshal(sumRecord{Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), SHA256: sum})
	name := sumName(v, fi)
	tmp := strings.TrimSuffix(name, ".json") + ".tmp"
	if f.user.WriteFile(tmp, b, 0o640) == nil {
		f.user.Rename(tmp, name)
	}
}

// Sum returns the verified SHA-256 recorded for v when it was uploaded, if
// the file described by fi still has the size and modification time it had
// then.
func (f *FS) Sum(v string, fi os.FileInfo) (string, bool) {
	b, err := f.user.ReadFile(sumName(v, fi))
	if err != nil {
		return "", false
	}
	var r sumRecord
	if json.Unmarshal(b, &r) != nil || r.Size != fi.Size() || r.ModTime != fi.ModTime().UnixNano() {
		return "", false
	}
	return r.SHA256, true
}

// removeSum forgets the checksum record of the file fi at v.
func (f *FS) removeSum(v string, fi os.FileInfo) {
	f.user.Remove(sumName(v, fi))
}

// Usage is what a user stores: the sizes of the regular files in the home
// and of the part files, and how many entries they make (every file,
// directory and symlink in the home, and every part file; each takes an
// inode on the server's disk). Checksum records are server metadata and
// are not counted.
type Usage struct {
	Bytes, Files int64
}

// Usage measures what the user stores.
func (f *FS) Usage() (Usage, error) { return measureRoot(f.user) }

// DirUsage measures what the user directory dir stores without opening it
// as an FS (for reports such as "ftpd users").
func DirUsage(dir string) (Usage, error) {
	r, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Usage{}, nil
	}
	if err != nil {
		return Usage{}, err
	}
	defer r.Close()
	return measureRoot(r)
}

// measureRoot measures files/ and parts/ of the user directory r.
func measureRoot(r *os.Root) (Usage, error) {
	var u Usage
	for _, sub := range []string{"files", "parts"} {
		d, err := r.OpenRoot(sub)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Usage{}, err
		}
		err = measure(d, &u, 0)
		d.Close()
		if err != nil {
			return Usage{}, err
		}
	}
	return u, nil
}

// MaxDepth is how deep the directories of a home may nest.
const MaxDepth = 1024

// measure adds what directory d holds to u. It goes from directory handle
// to directory handle (openat), never through a path as long as the tree,
// so a tree deeper than PATH_MAX is measured like any other; it holds one
// handle per level, and gives up below 4*MaxDepth levels (a tree made
// behind the server's back).
func measure(d *os.Root, u *Usage, depth int) error {
	if depth > 4*MaxDepth {
		return fmt.Errorf("%w: directories nested more than %d deep", ErrBadName, 4*MaxDepth)
	}
	dir, err := d.Open(".")
	if err != nil {
		return err
	}
	defer dir.Close()
	for {
		ents, err := dir.ReadDir(listBatch)
		for _, e := range ents {
			u.Files++
			if err := measureEntry(d, e, u, depth); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func measureEntry(d *os.Root, e fs.DirEntry, u *Usage, depth int) error {
	switch {
	case e.Type().IsRegular():
		// Entries of a directory opened in a Root carry their lstat
		// already, made relative to the directory's handle.
		if fi, err := e.Info(); err == nil {
			u.Bytes += fi.Size()
		}
	case e.IsDir():
		sub, err := d.OpenRoot(e.Name())
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while measuring
		}
		if err != nil {
			return err
		}
		defer sub.Close()
		return measure(sub, u, depth+1)
	}
	return nil
}

// writebackEvery is how many bytes a [PartWriter] lets pile up before it
// starts their writeback.
const writebackEvery = 8 << 20

// PartWriter writes a transfer into its part file (an upload on the
// server, a download on the client) at explicit offsets (pwrite), never
// relying on the file's position or on append mode, and, on Linux, starts
// the writeback of every few megabytes as they arrive, so the data reaches
// the disk while the rest is still streaming and the sync at the end has
// little left to do.
type PartWriter struct {
	f       *os.File
	off     int64
	flushed int64
}

// NewPartWriter returns a PartWriter that writes to f from offset off on.
func NewPartWriter(f *os.File, off int64) *PartWriter {
	return &PartWriter{f: f, off: off, flushed: off}
}

func (w *PartWriter) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	if w.off-w.flushed >= writebackEvery {
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, err
}
