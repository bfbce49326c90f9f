package client

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/internal/flock"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// Get downloads remote into local, resuming into an existing part file.
// See [Client.GetWith].
func (c *Client) Get(remote, local string) (Result, error) {
	return c.GetWith(remote, local, Options{})
}

// GetWith downloads remote into local ("" means its base name in the
// current directory; an existing directory means that name inside it). The
// bytes go to local+".part", which is renamed to local only after its
// SHA-256 matches the server's. If that part file exists from an
// interrupted download, GetWith sends its size and the SHA-256 of its
// bytes; the server continues from there if its own first bytes hash the
// same, and sends the whole file otherwise (Result.Discarded says so). A
// part file is kept when the connection breaks, so the next GetWith
// resumes; it is removed when the checksum does not match.
func (c *Client) GetWith(remote, local string, o Options) (Result, error) {
	local, err := localTarget(remote, local)
	if err != nil {
		return Result{}, err
	}
	// A part left by an interrupted download is opened first, to offer
	// its bytes; a new one is made only once the server has said yes.
	part, err := openPart(remote, local+".part", false, o.Fresh)
	if err != nil {
		return Result{}, err
	}
	req := proto.Request{Op: proto.OpGet, Path: remote}
	if part != nil {
		defer part.close()
		req.Offset, req.SHA256 = part.have, part.prefix
	}
	resp, body, err := c.roundTrip(req)
	if err != nil {
		return Result{}, err
	}
	off := resp.Offset
	if (off != 0 && off != req.Offset) || c.pc.BodySize() != resp.Size-off {
		c.pc.Close()
		return Result{}, fmt.Errorf("%w: unexpected reply to get: offset %d, %d of %d bytes", ErrConn, resp.Offset, c.pc.BodySize(), resp.Size)
	}
	if part == nil {
		if part, err = openPart(remote, local+".part", true, false); err != nil {
			return Result{}, c.skipDownload(body, err)
		}
		defer part.close()
	}
	if err := part.startAt(off); err != nil {
		return Result{}, c.skipDownload(body, err)
	}
	n, err := c.receive(part, body, o.progress(resp.Size, off))
	if err != nil {
		return Result{}, err
	}
	if err := part.finish(remote, local, xfer.Hex(part.h), c); err != nil {
		return Result{}, err
	}
	return Result{Path: local, Size: off + n, SHA256: xfer.Hex(part.h), Offset: off, Sent: n, Discarded: resp.Discarded}, nil
}

// localTarget returns the local file a download of remote goes to.
func localTarget(remote, local string) (string, error) {
	if local == "" {
		local = path.Base(remote)
	} else if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		local = filepath.Join(local, path.Base(remote))
	}
	if base := filepath.Base(local); base == "/" || base == "." || base == ".." {
		return "", fmt.Errorf("get %s: no local file name; give one", remote)
	}
	if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		return "", fmt.Errorf("get %s: %s is a directory", remote, local)
	}
	return local, nil
}

// localPart is the part file a download writes into: local+".part",
// locked (flock) for the whole download, so that a second ftp process
// getting into the same file fails at once instead of mixing its bytes in.
//
// The client touches only part files it made itself, which it marks (see
// markPart): it never opens a symlink there, never truncates or appends to
// a file someone else left under that name, and removes a part it made if
// nothing arrived or if the file system cannot mark it (no resume is
// possible then).
type localPart struct {
	name      string
	f         *os.File
	created   bool      // by this download
	resumable bool      // marked as ours: kept when the connection breaks
	have      int64     // bytes in the part before this download
	prefix    string    // their SHA-256, sent as proof of what the part holds
	off       int64     // where the server's bytes go
	h         hash.Hash // absorbs the file's bytes in order
	keep      bool
}

// openPart opens and locks the part file of a download. With create it
// makes a new one, marked as ours; without, it opens one that an earlier
// get of this client left (nil if there is none) and hashes what it holds,
// unless fresh. A file under that name that is not ours is an error.
func openPart(remote, name string, create, fresh bool) (*localPart, error) {
	if !create {
		fi, err := os.Lstat(name)
		if err != nil {
			return nil, nil
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("get %s: %s exists and is not a regular file; not touching it", remote, name)
		}
	}
	flag := os.O_RDWR | openNoFollow
	if create {
		flag |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(name, flag, 0o644)
	if err != nil {
		return nil, err
	}
	p := &localPart{name: name, f: f, created: create, h: sha256.New(), keep: true}
	if err := p.lock(remote); err != nil {
		p.close()
		return nil, err
	}
	if create {
		p.resumable = markPart(f) == nil
		return p, nil
	}
	if !isMarkedPart(f) {
		p.f.Close()
		return nil, fmt.Errorf("get %s: %s exists and was not left by an interrupted get of this client; move it away first", remote, name)
	}
	p.resumable = true
	return p, p.load(fresh)
}

// lock takes the part's lock, failing at once if another process holds it.
func (p *localPart) lock(remote string) error {
	err := flock.TryLock(p.f)
	if errors.Is(err, flock.ErrLocked) {
		return fmt.Errorf("get %s: %s is being written by another ftp process", remote, p.name)
	}
	return err
}

// load hashes what an earlier get left in the part (or empties it, if
// fresh), to offer it to the server.
func (p *localPart) load(fresh bool) error {
	fi, err := p.f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		p.close()
		return fmt.Errorf("%s: not a regular file", p.name)
	}
	if fresh || fi.Size() == 0 {
		return p.f.Truncate(0)
	}
	if p.h, p.prefix, err = xfer.HashPrefix(p.f, fi.Size()); err != nil {
		p.close()
		return fmt.Errorf("reading %s: %w", p.name, err)
	}
	p.have = fi.Size()
	return nil
}

// startAt prepares the part for the server's bytes from off on: at zero
// (the whole file) what it held is discarded.
func (p *localPart) startAt(off int64) error {
	p.off = off
	if off > 0 {
		return nil
	}
	p.h.Reset()
	return p.f.Truncate(0)
}

// close releases the part. It removes a part of ours that is not to be
// kept: one whose checksum failed, one that cannot be resumed, and one
// this download made that holds nothing.
func (p *localPart) close() {
	if p.f == nil {
		return
	}
	fi, err := p.f.Stat()
	p.f.Close()
	p.f = nil
	empty := err == nil && fi.Size() == 0
	if (p.created || p.resumable) && (!p.keep || !p.resumable || (p.created && empty)) {
		os.Remove(p.name)
	}
}

// receive writes the download's bytes into the part at explicit offsets
// (pwrite), so a resumed download continues exactly where the verified
// prefix ends, hashing them on a second goroutine. As the server does with
// an upload, it starts the writeback of every few megabytes as they arrive
// (on Linux), so the sync before the rename has little left to do.
func (c *Client) receive(p *localPart, body io.Reader, progress io.Writer) (int64, error) {
	w := io.MultiWriter(homefs.NewPartWriter(p.f, p.off), progress)
	n, werr, rerr := xfer.Copy(w, body, p.h, func(error) bool { return true })
	if werr != nil { // a local write failed; the stream is out of step
		c.pc.Close()
		return n, werr
	}
	if rerr != nil {
		return n, connErr(rerr)
	}
	return n, nil
}

// finish reads the trailer and, if the SHA-256 it carries is the one of
// the bytes received, syncs the part and renames it to local.
func (p *localPart) finish(remote, local, got string, c *Client) error {
	end, _, err := c.response()
	if err != nil {
		return err
	}
	if end.Op != proto.OpEnd {
		c.pc.Close()
		return fmt.Errorf("%w: expected the end of the download", ErrConn)
	}
	if got != end.SHA256 {
		p.keep = false
		return fmt.Errorf("%w: get %s: server says sha256 %s, received data has sha256 %s; %s was not written",
			ErrChecksum, remote, end.SHA256, got, local)
	}
	unmarkPart(p.f) // the file is a download now, not a part
	if err := p.f.Sync(); err != nil {
		return err
	}
	// Closed before the rename, which Windows refuses on an open file.
	err = p.f.Close()
	p.f = nil
	if err != nil {
		return err
	}
	return os.Rename(p.name, local)
}

// skipDownload reads past a download the client cannot store (its part
// file failed), so the session stays in step, and returns why.
func (c *Client) skipDownload(body io.Reader, why error) error {
	if err := c.discardBody(body); err != nil {
		return err
	}
	if _, _, err := c.response(); err != nil {
		return err
	}
	return why
}
