package client

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// Put uploads the local file to remote ("" means its base name in the
// current remote directory), resuming an earlier upload if the server kept
// a part of it. See [Client.PutWith].
func (c *Client) Put(local, remote string) (Result, error) {
	return c.PutWith(local, remote, Options{})
}

// PutWith uploads the local file to remote. The server says where the
// upload starts: if it holds a part file of an interrupted upload, its
// reply gives the part's size and SHA-256, and PutWith hashes the same
// prefix of the local file; if the digests match only the rest is sent,
// otherwise the upload starts over (and Result.Discarded says so). The
// file is hashed as it is read; the server stores it only if its SHA-256
// of the whole file matches.
func (c *Client) PutWith(local, remote string, o Options) (Result, error) {
	f, size, err := openLocal(local)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	if remote == "" {
		remote = filepath.Base(local)
	}
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpPut, Path: remote, Size: size, Fresh: o.Fresh})
	if err != nil {
		return Result{}, err
	}
	res := Result{Size: size, Discarded: resp.Discarded}
	h, err := c.agreeOffset(f, size, resp, &res)
	if err != nil {
		return Result{}, err
	}
	if res.Sent, err = c.sendData(f, size, res.Offset, h, o.progress(size, res.Offset)); err != nil {
		return Result{}, err
	}
	res.SHA256 = xfer.Hex(h)
	if err := c.pc.WriteRequest(proto.Request{Op: proto.OpEnd, SHA256: res.SHA256}); err != nil {
		return Result{}, connErr(err)
	}
	resp, _, err = c.response()
	if err != nil {
		return Result{}, checksumErr(err)
	}
	if resp.SHA256 != res.SHA256 {
		return Result{}, fmt.Errorf("%w: put %s: sent sha256 %s, server stored %s", ErrChecksum, remote, res.SHA256, resp.SHA256)
	}
	res.Path = resp.Path
	return res, nil
}

// openLocal opens a regular file to upload and returns it with its size.
func openLocal(local string) (*os.File, int64, error) {
	f, err := os.Open(local)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file", local)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// agreeOffset checks the offset the server offered and decides where the
// data starts: at that offset if the server's part hashes like the same
// prefix of f, else at zero (the part is discarded). It returns the hash
// that has absorbed the bytes before res.Offset.
func (c *Client) agreeOffset(f *os.File, size int64, resp proto.Response, res *Result) (hash.Hash, error) {
	off := resp.Offset
	if off < 0 || off > size || (off > 0 && !proto.IsHexSHA256(resp.SHA256)) {
		c.pc.Close()
		return nil, fmt.Errorf("%w: server offered offset %d of a %d-byte file (sha256 %q)", ErrConn, off, size, resp.SHA256)
	}
	if off == 0 {
		return sha256.New(), nil
	}
	h, sum, err := xfer.HashPrefix(f, off)
	if err != nil {
		c.pc.Close()
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	if sum != resp.SHA256 { // the server's part is not a prefix of this file
		res.Discarded = off
		return sha256.New(), nil
	}
	res.Offset = off
	return h, nil
}

// sendData sends the bytes of f from off on as the upload's data, hashing
// them into h, and returns how many it sent.
func (c *Client) sendData(f *os.File, size, off int64, h hash.Hash, progress io.Writer) (int64, error) {
	w, err := c.pc.StartUpload(proto.Request{Op: proto.OpData, Offset: off}, size-off)
	if err != nil {
		return 0, connErr(err)
	}
	src := io.TeeReader(io.NewSectionReader(f, off, size-off), progress)
	n, werr, rerr := xfer.Copy(w, src, h, func(error) bool { return true })
	err = errors.Join(werr, rerr)
	if err == nil && n < size-off {
		err = fmt.Errorf("%s shrank while being sent", f.Name())
	}
	if err == nil {
		return n, nil
	}
	// The server may have said why before it stopped reading.
	_, _, rerr = c.response()
	c.pc.Close()
	if rerr != nil && !errors.Is(rerr, ErrConn) {
		return n, fmt.Errorf("%w (%w)", rerr, ErrConn)
	}
	return n, connErr(err)
}
