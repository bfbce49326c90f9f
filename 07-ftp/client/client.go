// Package client is the ftp client library: it logs in with
// SCRAM-SHA-256 and runs the commands of package proto, streaming files in
// constant memory and checking the SHA-256 of every transfer.
package client

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/xdg-go/scram"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/internal/flock"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
	"github.com/gosockets/tutorial/07-ftp/xfer"
)

// ErrChecksum is wrapped by the error of a transfer whose SHA-256 did not
// match.
var ErrChecksum = errors.New("checksum mismatch")

// ErrConn is wrapped by every error that leaves the connection unusable.
var ErrConn = errors.New("connection to server lost")

// Client is a logged-in connection to an ftp server. Its methods must not
// be called concurrently.
type Client struct {
	conn net.Conn
	br   *bufio.Reader
	// User is the name logged in.
	User string
}

// Dial connects to the server at addr. The timeout bounds each read and
// write, not the whole transfer; zero means one minute.
func Dial(ctx context.Context, addr string, timeout time.Duration) (*Client, error) {
	return DialTLS(ctx, addr, timeout, nil)
}

// ErrDial is wrapped by the error of a dial that did not reach the server.
var ErrDial = errors.New("cannot reach server")

// DialTLS connects to the server at addr like [Dial] and, if cfg is not
// nil, runs a TLS handshake with it first. A server that does not speak
// TLS, or whose certificate does not verify, gives a one-line error that
// says what to change (see package tlsconf).
func DialTLS(ctx context.Context, addr string, timeout time.Duration, cfg *tls.Config) (*Client, error) {
	if timeout == 0 {
		timeout = time.Minute
	}
	var d net.Dialer
	d.Timeout = timeout
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDial, err)
	}
	if cfg != nil {
		hs := timeout
		if hs > 10*time.Second {
			hs = 10 * time.Second
		}
		tc, err := tlsconf.Client(ctx, conn, cfg, hs)
		if err != nil {
			return nil, err
		}
		conn = tc
	}
	dc := &deadlineConn{Conn: conn, timeout: timeout}
	return &Client{conn: dc, br: bufio.NewReaderSize(dc, 64<<10)}, nil
}

// deadlineConn gives each Read and Write its own deadline, so a transfer of
// any length runs as long as data keeps moving.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// Abort closes the connection at once, interrupting a transfer in
// progress; the transfer fails with an error wrapping ErrConn and leaves its
// part file for a resume. It is safe to call from another goroutine.
func (c *Client) Abort() { c.conn.Close() }

// Close says goodbye (best effort) and closes the connection.
func (c *Client) Close() error {
	c.conn.SetDeadline(time.Now().Add(time.Second))
	if proto.WriteRequest(c.conn, proto.Request{Op: proto.OpQuit}) == nil {
		proto.ReadResponse(c.br)
	}
	return c.conn.Close()
}

func connErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the server closed the connection", ErrConn)
	}
	return fmt.Errorf("%w: %v", ErrConn, err)
}

// roundTrip sends a request without a body and reads the reply header.
func (c *Client) roundTrip(req proto.Request) (proto.Response, frame.Header, error) {
	if err := proto.WriteRequest(c.conn, req); err != nil {
		return proto.Response{}, frame.Header{}, connErr(err)
	}
	return c.response()
}

// response reads a reply header; a reply reporting failure becomes a
// *proto.Error (and its body, if any, is skipped).
func (c *Client) response() (proto.Response, frame.Header, error) {
	resp, h, err := proto.ReadResponse(c.br)
	if err != nil {
		return resp, h, connErr(err)
	}
	if err := resp.Err(); err != nil {
		if resp.Code == proto.CodeTimeout {
			c.conn.Close()
			return resp, h, fmt.Errorf("%w: %s", ErrConn, resp.Error)
		}
		if _, derr := io.CopyN(io.Discard, c.br, h.DataSize); derr != nil {
			return resp, h, connErr(derr)
		}
		return resp, h, err
	}
	return resp, h, nil
}

func (c *Client) readBody(h frame.Header, limit int64) ([]byte, error) {
	if h.DataSize > limit {
		return nil, fmt.Errorf("%w: reply body of %d bytes, limit %d", ErrConn, h.DataSize, limit)
	}
	b := make([]byte, h.DataSize)
	if _, err := io.ReadFull(c.br, b); err != nil {
		return nil, connErr(err)
	}
	return b, nil
}

// Login authenticates as user with SCRAM-SHA-256: the password never
// leaves this process, and the server proves in turn that it knows the
// user's keys.
func (c *Client) Login(user, password string) error {
	sc, err := scram.SHA256.NewClient(user, password, "")
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	conv := sc.WithMinIterations(accounts.Iterations).NewConversation()
	first, err := conv.Step("")
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if err := frame.WriteBytes(c.conn, proto.Request{Op: proto.OpAuth}, []byte(first)); err != nil {
		return connErr(err)
	}
	_, h, err := c.response()
	if err != nil {
		return err
	}
	s1, err := c.readBody(h, proto.MaxAuthBody)
	if err != nil {
		return err
	}
	final, err := conv.Step(string(s1))
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if err := frame.WriteBytes(c.conn, proto.Request{Op: proto.OpAuthFinal}, []byte(final)); err != nil {
		return connErr(err)
	}
	_, h, err = c.response()
	if err != nil {
		return err
	}
	s2, err := c.readBody(h, proto.MaxAuthBody)
	if err != nil {
		return err
	}
	if _, err := conv.Step(string(s2)); err != nil || !conv.Valid() {
		return fmt.Errorf("login: the server could not prove it knows your account: %v", err)
	}
	c.User = user
	return nil
}

// Pwd returns the current remote directory.
func (c *Client) Pwd() (string, error) {
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpPwd})
	return resp.Path, err
}

// Cd changes the remote directory and returns the new one.
func (c *Client) Cd(dir string) (string, error) {
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpCd, Path: dir})
	return resp.Path, err
}

// List returns the entries of a remote directory ("" for the current one).
func (c *Client) List(dir string) ([]proto.Entry, error) {
	_, h, err := c.roundTrip(proto.Request{Op: proto.OpLs, Path: dir})
	if err != nil {
		return nil, err
	}
	b, err := c.readBody(h, proto.MaxListing)
	if err != nil {
		return nil, err
	}
	var out []proto.Entry
	dec := json.NewDecoder(strings.NewReader(string(b)))
	for dec.More() {
		var e proto.Entry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("ls: bad listing from server: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Mkdir creates a remote directory.
func (c *Client) Mkdir(dir string) error {
	_, _, err := c.roundTrip(proto.Request{Op: proto.OpMkdir, Path: dir})
	return err
}

// Remove removes a remote file or empty directory.
func (c *Client) Remove(p string) error {
	_, _, err := c.roundTrip(proto.Request{Op: proto.OpRm, Path: p})
	return err
}

// Quota returns the bytes used and the limit.
func (c *Client) Quota() (used, limit int64, err error) {
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpQuota})
	return resp.Used, resp.Limit, err
}

// Result describes a finished transfer.
type Result struct {
	// Path is where the file now is: remote after Put, local after Get.
	Path   string
	Size   int64
	SHA256 string
	// Offset is where this transfer resumed (zero if it started afresh).
	Offset int64
	// Sent is the number of file bytes this transfer moved: Size - Offset.
	Sent int64
	// Discarded is the size of a part file thrown away because it did not
	// match (zero if none was).
	Discarded int64
}

// Options adjust a transfer.
type Options struct {
	// Fresh ignores any part file of an earlier attempt and starts over.
	Fresh bool
	// Progress, if set, is called once the offset is known, with the
	// file's size and the offset the transfer resumes from; every byte
	// moved after that is written to the writer it returns.
	Progress func(size, offset int64) io.Writer
}

func (o Options) progress(size, offset int64) io.Writer {
	if o.Progress == nil {
		return io.Discard
	}
	if w := o.Progress(size, offset); w != nil {
		return w
	}
	return io.Discard
}

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
	f, err := os.Open(local)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	if !fi.Mode().IsRegular() {
		return Result{}, fmt.Errorf("%s: not a regular file", local)
	}
	if remote == "" {
		remote = filepath.Base(local)
	}
	size := fi.Size()
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpPut, Path: remote, Size: size, Fresh: o.Fresh})
	if err != nil {
		return Result{}, err
	}
	if resp.Offset < 0 || resp.Offset > size || (resp.Offset > 0 && !proto.IsHexSHA256(resp.SHA256)) {
		c.conn.Close()
		return Result{}, fmt.Errorf("%w: server offered offset %d of a %d-byte file (sha256 %q)", ErrConn, resp.Offset, size, resp.SHA256)
	}
	res := Result{Discarded: resp.Discarded}
	h := sha256.New()
	off := resp.Offset
	if off > 0 {
		if _, err := io.CopyN(h, f, off); err != nil {
			c.conn.Close()
			return Result{}, fmt.Errorf("%s: %w", local, err)
		}
		if hex.EncodeToString(h.Sum(nil)) != resp.SHA256 {
			// The server's part is not a prefix of this file.
			res.Discarded, off = off, 0
			h.Reset()
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				c.conn.Close()
				return Result{}, err
			}
		}
	}
	res.Offset = off
	pw := o.progress(size, off)
	if err := frame.WriteHeader(c.conn, proto.Request{Op: proto.OpData, Offset: off}, size-off); err != nil {
		return Result{}, connErr(err)
	}
	n, werr, rerr := xfer.Copy(c.conn, io.TeeReader(io.LimitReader(f, size-off), pw), h, func(error) bool { return true })
	err = errors.Join(werr, rerr)
	if err == nil && n < size-off {
		err = fmt.Errorf("%s shrank while being sent", local)
	}
	if err != nil {
		// The server may have said why before it stopped reading.
		_, _, rerr := c.response()
		c.conn.Close()
		if rerr != nil && !errors.Is(rerr, ErrConn) {
			return Result{}, fmt.Errorf("%w (%w)", rerr, ErrConn)
		}
		return Result{}, connErr(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := proto.WriteRequest(c.conn, proto.Request{Op: proto.OpEnd, SHA256: sum}); err != nil {
		return Result{}, connErr(err)
	}
	resp, _, err = c.response()
	if err != nil {
		var pe *proto.Error
		if errors.As(err, &pe) && pe.Code == proto.CodeChecksum {
			return Result{}, fmt.Errorf("%w: %s", ErrChecksum, pe.Msg)
		}
		return Result{}, err
	}
	if resp.SHA256 != sum {
		return Result{}, fmt.Errorf("%w: put %s: sent sha256 %s, server stored %s", ErrChecksum, remote, sum, resp.SHA256)
	}
	res.Path, res.Size, res.SHA256, res.Sent = resp.Path, size, sum, n
	return res, nil
}

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
	if local == "" {
		local = path.Base(remote)
	} else if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		local = filepath.Join(local, path.Base(remote))
	}
	if base := filepath.Base(local); base == "/" || base == "." || base == ".." {
		return Result{}, fmt.Errorf("get %s: no local file name; give one", remote)
	}
	if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		return Result{}, fmt.Errorf("get %s: %s is a directory", remote, local)
	}
	part := local + ".part"
	h := sha256.New()
	req := proto.Request{Op: proto.OpGet, Path: remote}
	// One writer per part file: the part is locked (flock) for the whole
	// download, so a second ftp process getting into the same file fails
	// at once instead of mixing its bytes in.
	var f *os.File
	lockPart := func(file *os.File) error {
		if err := flock.TryLock(file); err != nil {
			file.Close()
			if errors.Is(err, flock.ErrLocked) {
				return fmt.Errorf("get %s: %s is being written by another ftp process", remote, part)
			}
			return err
		}
		f = file
		return nil
	}
	if fi, err := os.Lstat(part); err == nil && fi.Mode().IsRegular() {
		pf, err := os.OpenFile(part, os.O_RDWR, 0)
		if err != nil {
			return Result{}, err
		}
		if err := lockPart(pf); err != nil {
			return Result{}, err
		}
		if fi, err = pf.Stat(); err != nil {
			pf.Close()
			return Result{}, err
		}
		if fi.Size() > 0 && !o.Fresh {
			if _, err := io.Copy(h, io.NewSectionReader(pf, 0, fi.Size())); err != nil {
				pf.Close()
				return Result{}, fmt.Errorf("reading %s: %w", part, err)
			}
			req.Offset, req.SHA256 = fi.Size(), hex.EncodeToString(h.Sum(nil))
		}
	}
	resp, hdr, err := c.roundTrip(req)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return Result{}, err
	}
	off := resp.Offset
	if (off != 0 && off != req.Offset) || hdr.DataSize != resp.Size-off {
		c.conn.Close()
		return Result{}, fmt.Errorf("%w: unexpected reply to get: offset %d, %d of %d bytes", ErrConn, resp.Offset, hdr.DataSize, resp.Size)
	}
	if f == nil {
		var nf *os.File
		if nf, err = os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644); err == nil {
			err = lockPart(nf)
		}
	}
	if err == nil && off == 0 {
		err = f.Truncate(0)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		// Skip the file and its trailer so the session stays in step.
		if _, derr := io.CopyN(io.Discard, c.br, hdr.DataSize); derr != nil {
			return Result{}, connErr(derr)
		}
		if _, _, derr := c.response(); derr != nil {
			return Result{}, derr
		}
		return Result{}, err
	}
	keep := true
	defer func() {
		f.Close()
		if !keep {
			os.Remove(part)
		}
	}()
	res := Result{Offset: off, Discarded: resp.Discarded}
	if off == 0 {
		h.Reset()
	}
	pw := o.progress(resp.Size, off)
	n, werr, rerr := xfer.Copy(io.MultiWriter(&offsetWriter{f: f, off: off}, pw), hdr.Body(c.br), h, func(error) bool { return true })
	if werr != nil { // a local write failed; the stream is out of step
		c.conn.Close()
		return Result{}, werr
	}
	if rerr != nil {
		return Result{}, connErr(rerr)
	}
	end, _, err := c.response()
	if err != nil {
		return Result{}, err
	}
	if end.Op != proto.OpEnd {
		return Result{}, fmt.Errorf("%w: expected the end of the download", ErrConn)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != end.SHA256 {
		keep = false
		return Result{}, fmt.Errorf("%w: get %s: server says sha256 %s, received data has sha256 %s; %s was not written",
			ErrChecksum, remote, end.SHA256, got, local)
	}
	if err := f.Sync(); err != nil {
		return Result{}, err
	}
	if err := f.Close(); err != nil {
		return Result{}, err
	}
	if err := os.Rename(part, local); err != nil {
		return Result{}, err
	}
	res.Path, res.Size, res.SHA256, res.Sent = local, off+n, got, n
	return res, nil
}

// offsetWriter writes at explicit offsets (pwrite), so a resumed download
// continues exactly where the verified prefix ends.
type offsetWriter struct {
	f   *os.File
	off int64
}

func (w *offsetWriter) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	return n, err
}
