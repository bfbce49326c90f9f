package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/quota"
	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// UnknownSize is the Size of an upload whose client does not announce one
// (standard FTP's STOR): the quota is then taken as the bytes arrive.
const UnknownSize = -1

// Mode says what the bytes already stored count for in an upload.
type Mode int

const (
	// Resume continues the part file kept from an interrupted upload of
	// the same path, if there is one: the upload's Offset is its size.
	Resume Mode = iota
	// Fresh discards any part file: the client's bytes start at zero.
	Fresh
	// At starts the client's bytes at UploadOptions.Offset; the bytes
	// before it come from the part file if it holds that many, else from
	// the file being replaced (FTP's REST then STOR).
	At
	// Append puts the client's bytes after the current content of the
	// file (FTP's APPE).
	Append
)

// UploadOptions describe an upload.
type UploadOptions struct {
	// Size is the size of the whole file, as the client announced it, or
	// UnknownSize. A known size is reserved against the quota before any
	// byte flows, and the upload is committed only if it adds up.
	Size int64
	// Mode says where the client's bytes start.
	Mode Mode
	// Offset is where the client's bytes start, for Mode At.
	Offset int64
}

// Upload is one upload in progress, into the part file of its target
// path. Exactly one session writes a part file at a time. An upload ends
// with exactly one of [Upload.Commit], [Upload.Keep] or [Upload.Abort];
// later calls do nothing, so a caller may defer Keep as the default for an
// upload that is interrupted.
type Upload struct {
	h *Home
	v string
	f *os.File

	size      int64 // announced, or UnknownSize
	written   int64 // bytes in the part file
	discarded int64
	offset    int64 // bytes that were there before the client's first byte
	prefix    string
	sum       hash.Hash
	// counted is what this upload counts in the user's usage: the part's
	// bytes plus the room reserved for the rest.
	counted int64
	done    bool
}

// BeginUpload starts an upload to v. It checks that v can be written (its
// directory exists, it is not a directory), becomes the one writer of v's
// part file (waiting, until ctx ends, while another session of the user
// uploads the same path; then it fails with [ErrBusy]), opens the part
// file, arranges its first bytes as o.Mode says, and reserves the rest of
// a known size against the quota.
func (h *Home) BeginUpload(ctx context.Context, v string, o UploadOptions) (*Upload, error) {
	if o.Size < 0 && o.Size != UnknownSize {
		return nil, fmt.Errorf("store: upload size %d", o.Size)
	}
	if _, err := h.fs.CheckTarget(v); err != nil {
		return nil, err
	}
	if err := h.u.acquire(ctx, v); err != nil {
		return nil, err
	}
	f, have, err := h.openPart(v)
	if err != nil {
		h.u.release(v)
		return nil, err
	}
	// The part's bytes are counted already: measured when the user's
	// usage was, or left counted by the upload that was interrupted.
	u := &Upload{h: h, v: v, f: f, size: o.Size, written: have, counted: have}
	if err := u.prepare(o); err != nil {
		u.Keep()
		return nil, err
	}
	return u, nil
}

// openPart opens v's part file, or makes one if the user may have one more
// file.
func (h *Home) openPart(v string) (*os.File, int64, error) {
	f, have, err := h.fs.OpenPart(v, false)
	if !errors.Is(err, os.ErrNotExist) {
		return f, have, err
	}
	if err := h.u.files.Reserve(1); err != nil {
		return nil, 0, err
	}
	f, have, err = h.fs.OpenPart(v, true)
	if err != nil {
		h.u.files.Release(1)
	}
	return f, have, err
}

// prepare arranges the part's first bytes, hashes them and reserves the
// rest of the announced size.
func (u *Upload) prepare(o UploadOptions) error {
	var err error
	switch o.Mode {
	case Fresh:
		err = u.discard()
	case Resume:
		if u.size != UnknownSize && u.written > u.size {
			err = u.discard() // longer than the file: not a prefix of it
		}
	case At:
		err = u.startAt(o.Offset)
	case Append:
		var e Entry
		e, err = u.h.Stat(u.v)
		switch {
		case errors.Is(err, os.ErrNotExist):
			err = u.discard()
		case err == nil:
			err = u.startAt(e.Size)
		}
	default:
		err = fmt.Errorf("store: unknown upload mode %d", o.Mode)
	}
	if err != nil {
		return err
	}
	u.offset = u.written
	u.sum = sha256.New()
	if u.written > 0 {
		if u.sum, u.prefix, err = xfer.HashPrefix(u.f, u.written); err != nil {
			return err
		}
	}
	if u.size == UnknownSize {
		return nil
	}
	if u.written > u.size {
		return fmt.Errorf("%w: %d bytes are stored before a file of %d", ErrOffset, u.written, u.size)
	}
	if err := u.h.u.bytes.Reserve(u.size - u.written); err != nil {
		return err
	}
	u.counted += u.size - u.written
	return nil
}

// discard empties the part file.
func (u *Upload) discard() error {
	if u.written == 0 {
		return nil
	}
	if err := u.f.Truncate(0); err != nil {
		return err
	}
	u.h.u.bytes.Release(u.written)
	u.counted -= u.written
	u.discarded, u.written = u.written, 0
	return nil
}

// startAt makes the part hold the first n bytes of the file being
// uploaded: those of the part if it has that many, else a copy of those of
// the file it replaces.
func (u *Upload) startAt(n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: %d", ErrOffset, n)
	}
	if u.written >= n {
		if err := u.f.Truncate(n); err != nil {
			return err
		}
		u.h.u.bytes.Release(u.written - n)
		u.counted -= u.written - n
		u.written = n
		return nil
	}
	src, fi, err := u.h.fs.OpenFile(u.v)
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() < n) {
		err = fmt.Errorf("%w: nothing is stored up to byte %d", ErrOffset, n)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	if err := u.discard(); err != nil {
		return err
	}
	if err := u.h.u.bytes.Reserve(n); err != nil {
		return err
	}
	u.counted += n
	// os.File.ReadFrom copies in the kernel (copy_file_range) where it can.
	copied, err := u.f.ReadFrom(&io.LimitedReader{R: src, N: n})
	u.written = copied
	if err == nil && copied < n {
		err = fmt.Errorf("%s shrank while being copied", u.v)
	}
	return err
}

// Offset returns how many bytes of the file the part held before the
// client's first byte: where the client's data starts.
func (u *Upload) Offset() int64 { return u.offset }

// PrefixSum returns the SHA-256 of the first Offset bytes ("" when Offset
// is zero), for the client to check that they are a prefix of its file.
func (u *Upload) PrefixSum() string { return u.prefix }

// Discarded returns the size of a part file that BeginUpload threw away
// because it could not belong to this upload (or the mode said so).
func (u *Upload) Discarded() int64 { return u.discarded }

// Path returns the target path.
func (u *Upload) Path() string { return u.v }

// Restart empties the part file: the client's file is not the one the
// part was a prefix of, and it sends all of it. A known size stays
// reserved in full.
func (u *Upload) Restart() error {
	if err := u.f.Truncate(0); err != nil {
		return err
	}
	if u.size == UnknownSize {
		u.h.u.bytes.Release(u.written)
		u.counted -= u.written
	}
	u.written, u.offset, u.prefix = 0, 0, ""
	u.sum = sha256.New()
	return nil
}

// ReadError is the error of [Upload.ReadFrom] when reading the source
// failed: a connection that broke or timed out. What arrived before stays
// in the part file.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// ReadFrom writes what r yields into the part file, after what it holds,
// while SHA-256 runs on a second goroutine. It stops at the first error: a
// *[ReadError] if reading r failed; an error wrapping [ErrQuota] if the
// client sent more than the size it announced or, for an upload of unknown
// size, if the quota is full; otherwise the file system's error (a full
// disk: what was written stays).
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	if u.done {
		return 0, errors.New("store: upload has ended")
	}
	var w io.Writer = homefs.NewPartWriter(u.f, u.written)
	if u.size == UnknownSize {
		w = &takeQuota{w: w, u: u}
	} else {
		w = quota.LimitWriter(w, u.size-u.written)
	}
	n, werr, rerr := xfer.Copy(w, r, u.sum, func(error) bool { return true })
	u.written += n
	if rerr != nil {
		return n, &ReadError{Err: rerr}
	}
	return n, werr
}

// takeQuota reserves each write's bytes against the quota before writing
// them.
type takeQuota struct {
	w io.Writer
	u *Upload
}

func (t *takeQuota) Write(p []byte) (int, error) {
	if err := t.u.h.u.bytes.Reserve(int64(len(p))); err != nil {
		return 0, err
	}
	t.u.counted += int64(len(p))
	return t.w.Write(p)
}

// Written returns the bytes in the part file.
func (u *Upload) Written() int64 { return u.written }

// Committed describes an upload that Commit stored.
type Committed struct {
	Size   int64
	SHA256 string
	// Replaced is the size of the file it replaced (zero if none).
	Replaced int64
	// Fsync is how long syncing the part file took.
	Fsync time.Duration
}

// Commit stores the upload: it checks that the bytes add up to the size
// announced (else [ErrSize]) and, if sum is not empty, that their SHA-256
// is sum (else [ErrChecksum]); either failure removes the part file. Then
// it syncs the part, renames it over the target and records its SHA-256.
// A sync that fails (a full or failing disk) keeps the part for a resume.
func (u *Upload) Commit(sum string) (Committed, error) {
	if u.done {
		return Committed{}, errors.New("store: upload has ended")
	}
	if u.size != UnknownSize && u.written != u.size {
		u.Abort()
		return Committed{}, fmt.Errorf("%w: announced %d bytes, received %d; the file was not stored", ErrSize, u.size, u.written)
	}
	got := xfer.Hex(u.sum)
	if sum != "" && sum != got {
		u.Abort()
		return Committed{}, fmt.Errorf("%w: client sent sha256 %s, server received data with sha256 %s; the file was not stored", ErrChecksum, sum, got)
	}
	start := time.Now()
	if err := u.f.Sync(); err != nil {
		u.Keep()
		return Committed{}, err
	}
	synced := time.Since(start)
	replaced, err := u.rename(got)
	if err != nil {
		u.Abort()
		return Committed{}, err
	}
	u.finish(u.written)
	return Committed{Size: u.written, SHA256: got, Replaced: replaced, Fsync: synced}, nil
}

// rename moves the part over the target under the user's lock, so the
// bytes of the file it replaces leave the quota exactly once.
func (u *Upload) rename(sum string) (int64, error) {
	u.h.u.mu.Lock()
	defer u.h.u.mu.Unlock()
	replaced, err := u.h.fs.Commit(u.v, sum)
	if err != nil {
		return 0, err
	}
	if replaced < 0 {
		return 0, nil // the part is now the file, counted as one
	}
	u.h.u.bytes.Release(replaced)
	u.h.u.files.Release(1)
	return replaced, nil
}

// Keep ends an interrupted upload: the part file stays, counted against
// the quota, for a later upload of the same path to resume. An empty part
// has nothing to resume and is removed, so abandoned uploads do not pile
// up. Keep returns the size of the part it kept.
func (u *Upload) Keep() int64 {
	if u.done {
		return 0
	}
	fi, err := u.f.Stat()
	if err != nil || fi.Size() == 0 {
		u.Abort()
		return 0
	}
	u.finish(fi.Size())
	return fi.Size()
}

// Abort ends a failed upload and removes its part file.
func (u *Upload) Abort() {
	if u.done {
		return
	}
	u.f.Close()
	u.h.fs.RemovePart(u.v)
	u.h.u.files.Release(1)
	u.finish(0)
}

// finish lets go of the part file (closing it, if it is still open),
// leaving kept bytes of it counted.
func (u *Upload) finish(kept int64) {
	u.f.Close() // a second Close of a removed part only returns an error
	u.h.u.bytes.Release(u.counted - kept)
	u.h.u.release(u.v)
	u.done = true
}
