// Package client is the ftp client library: it logs in with
// SCRAM-SHA-256 and runs the commands of package proto, streaming files in
// constant memory and checking the SHA-256 of every transfer.
package client

import (
	"bufio"
	"context"
	"crypto/sha256"
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
	"github.com/gosockets/tutorial/07-ftp/proto"
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
	if timeout == 0 {
		timeout = time.Minute
	}
	var d net.Dialer
	d.Timeout = timeout
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
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
}

// Put uploads the local file to remote ("" means its base name in the
// current remote directory). The file is hashed as it is sent; the server
// stores it only if its own SHA-256 of what arrived matches.
func (c *Client) Put(local, remote string) (Result, error) {
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
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpPut, Path: remote, Size: size})
	if err != nil {
		return Result{}, err
	}
	if resp.Offset < 0 || resp.Offset > size {
		return Result{}, fmt.Errorf("%w: server asked for offset %d of a %d-byte file", ErrConn, resp.Offset, size)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, f, resp.Offset); err != nil {
		return Result{}, err
	}
	if err := frame.WriteHeader(c.conn, proto.Request{Op: proto.OpData}, size-resp.Offset); err != nil {
		return Result{}, connErr(err)
	}
	n, werr, rerr := xfer.Copy(c.conn, io.LimitReader(f, size-resp.Offset), h, func(error) bool { return true })
	err = errors.Join(werr, rerr)
	if err == nil && n < size-resp.Offset {
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
	return Result{Path: resp.Path, Size: resp.Size, SHA256: sum}, nil
}

// Get downloads remote into local ("" means its base name in the current
// directory; an existing directory means that name inside it). The bytes go
// to local+".part", which is renamed to local only after its SHA-256
// matches the server's.
func (c *Client) Get(remote, local string) (Result, error) {
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
	resp, hdr, err := c.roundTrip(proto.Request{Op: proto.OpGet, Path: remote})
	if err != nil {
		return Result{}, err
	}
	if resp.Offset != 0 || hdr.DataSize != resp.Size {
		c.conn.Close()
		return Result{}, fmt.Errorf("%w: unexpected reply to get: offset %d, %d of %d bytes", ErrConn, resp.Offset, hdr.DataSize, resp.Size)
	}
	part := local + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		// Skip the file and its trailer so the session stays in step.
		if _, derr := io.CopyN(io.Discard, c.br, hdr.DataSize); derr != nil {
			return Result{}, connErr(derr)
		}
		if _, _, derr := c.response(); derr != nil {
			return Result{}, derr
		}
		return Result{}, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(part)
		}
	}()
	h := sha256.New()
	n, werr, rerr := xfer.Copy(f, hdr.Body(c.br), h, func(error) bool { return true })
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
	ok = true
	return Result{Path: local, Size: n, SHA256: got}, nil
}
