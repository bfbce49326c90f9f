// Package client is the ftp client library: it logs in with
// SCRAM-SHA-256 and runs the commands of package proto, streaming files in
// constant memory and checking the SHA-256 of every transfer.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/xdg-go/scram"

	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

// ErrChecksum is wrapped by the error of a transfer whose SHA-256 did not
// match.
var ErrChecksum = errors.New("checksum mismatch")

// ErrConn is wrapped by every error that leaves the connection unusable.
var ErrConn = errors.New("connection to server lost")

// ErrDial is wrapped by the error of a dial that did not reach the server.
var ErrDial = errors.New("cannot reach server")

// DialError is the error of a dial that did not reach the server. Its
// message is one line in the words every chapter's client uses: "no server
// at ADDR (connection refused): is the server running?", "bad address
// "ADDR": REASON", "no reply from ADDR within 1m0s", or "cannot reach
// server: REASON". It matches ErrDial and the error of the dial.
type DialError struct {
	Addr    string
	Timeout time.Duration
	Err     error
}

func (e *DialError) Error() string {
	var addrErr *net.AddrError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "no server at " + e.Addr + " (connection refused): is the server running?"
	case errors.As(e.Err, &addrErr):
		return fmt.Sprintf("bad address %q: %s", e.Addr, addrErr.Err)
	case errors.As(e.Err, &dnsErr):
		return fmt.Sprintf("bad address %q: %s", e.Addr, dnsErr.Err)
	case errors.Is(e.Err, os.ErrDeadlineExceeded), errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("no reply from %s within %v", e.Addr, e.Timeout)
	}
	return fmt.Sprintf("%v: %v", ErrDial, e.Err)
}

// Unwrap returns ErrDial and the error of the dial.
func (e *DialError) Unwrap() []error { return []error{ErrDial, e.Err} }

// minIterations is the fewest PBKDF2 iterations the client accepts from a
// server's SCRAM challenge: RFC 7677's minimum. A server that asks for
// fewer would make a stolen exchange cheap to brute-force.
const minIterations = 4096

// Client is a logged-in connection to an ftp server. Its methods must not
// be called concurrently, except Abort.
type Client struct {
	pc *proto.Conn
	// User is the name logged in.
	User string
}

// Dial connects to the server at addr. The timeout bounds each read and
// write, not the whole transfer; zero means one minute.
func Dial(ctx context.Context, addr string, timeout time.Duration) (*Client, error) {
	return DialTLS(ctx, addr, timeout, nil)
}

// DialTLS connects to the server at addr like [Dial] and, if cfg is not
// nil, runs a TLS handshake with it first. A server that does not speak
// TLS, or whose certificate does not verify, gives a one-line error that
// says what to change (see package tlsconf).
func DialTLS(ctx context.Context, addr string, timeout time.Duration, cfg *tls.Config) (*Client, error) {
	if timeout == 0 {
		timeout = time.Minute
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &DialError{Addr: addr, Timeout: timeout, Err: err}
	}
	if cfg != nil {
		tc, err := tlsconf.Client(ctx, conn, cfg, min(timeout, 10*time.Second))
		if err != nil {
			return nil, plainAnswer(err)
		}
		conn = tc
	}
	pc := proto.NewConn(conn)
	pc.ReadTimeout, pc.WriteTimeout = timeout, timeout
	return &Client{pc: pc}, nil
}

// plainAnswer turns the error of a TLS handshake that a plaintext server
// answered into what the server said, if it said something other than
// "no TLS here" (a busy server, say).
func plainAnswer(err error) error {
	var nt *tlsconf.NotTLSError
	if errors.As(err, &nt) {
		if r, ok := proto.DecodeReply(nt.First); ok && r.Code != proto.CodeTLS {
			return fmt.Errorf("%w: %s", tlsconf.ErrPlainAnswer, r.Error)
		}
	}
	return err
}

// Abort closes the connection at once, interrupting a transfer in
// progress; the transfer fails with an error wrapping ErrConn and leaves its
// part file for a resume. It is safe to call from another goroutine.
func (c *Client) Abort() { c.pc.Close() }

// Close says goodbye (best effort) and closes the connection.
func (c *Client) Close() error {
	c.pc.NetConn().SetDeadline(time.Now().Add(time.Second))
	if c.pc.WriteRequest(proto.Request{Op: proto.OpQuit}) == nil {
		c.pc.ReadResponse()
	}
	return c.pc.Close()
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

// roundTrip sends a request without a body and reads the reply.
func (c *Client) roundTrip(req proto.Request) (proto.Response, io.Reader, error) {
	if err := c.pc.WriteRequest(req); err != nil {
		return proto.Response{}, nil, connErr(err)
	}
	return c.response()
}

// response reads a reply; a reply reporting failure becomes a
// *proto.Error.
func (c *Client) response() (proto.Response, io.Reader, error) {
	resp, body, err := c.pc.ReadResponse()
	if err != nil {
		return resp, nil, connErr(err)
	}
	if err := resp.Err(); err != nil {
		if resp.Code == proto.CodeTimeout {
			c.pc.Close()
			return resp, nil, fmt.Errorf("%w: %s", ErrConn, resp.Error)
		}
		return resp, nil, err
	}
	return resp, body, nil
}

// readBody reads the body of the last reply, refusing one over limit.
func (c *Client) readBody(body io.Reader, limit int64) ([]byte, error) {
	if n := c.pc.BodySize(); n > limit {
		c.pc.Close()
		return nil, fmt.Errorf("%w: reply body of %d bytes, limit %d", ErrConn, n, limit)
	}
	b, err := io.ReadAll(body)
	if err != nil {
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
	conv := sc.WithMinIterations(minIterations).NewConversation()
	msg, err := conv.Step("")
	for _, op := range []string{proto.OpAuth, proto.OpAuthFinal} {
		if err != nil {
			return fmt.Errorf("login: %w", err)
		}
		var reply string
		if reply, err = c.authStep(op, msg); err != nil {
			return err
		}
		msg, err = conv.Step(reply)
	}
	if err != nil || !conv.Valid() {
		return fmt.Errorf("login: the server could not prove it knows your account: %v", err)
	}
	c.User = user
	return nil
}

// authStep sends one SCRAM message and returns the server's answer.
func (c *Client) authStep(op, msg string) (string, error) {
	if err := c.pc.WriteRequestBody(proto.Request{Op: op}, []byte(msg)); err != nil {
		return "", connErr(err)
	}
	_, body, err := c.response()
	if err != nil {
		return "", err
	}
	b, err := c.readBody(body, proto.MaxAuthBody)
	return string(b), err
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

// ListFunc calls fn with each entry of a remote directory ("" for the
// current one) as it arrives, in the server's order (the directory's), a
// frame at a time. If fn returns an error, the rest of the listing is read
// and dropped, and ListFunc returns that error.
func (c *Client) ListFunc(dir string, fn func(proto.Entry) error) error {
	if _, _, err := c.roundTrip(proto.Request{Op: proto.OpLs, Path: dir}); err != nil {
		return err
	}
	var fnErr error
	err := c.pc.ReadList(func(e proto.Entry) error {
		fnErr = fn(e)
		return fnErr
	})
	var pe *proto.Error
	if err != nil && err != fnErr && !errors.As(err, &pe) {
		c.pc.Close()
		return connErr(err)
	}
	return err
}

// List returns the entries of a remote directory ("" for the current
// one), in the server's order.
func (c *Client) List(dir string) ([]proto.Entry, error) {
	var out []proto.Entry
	err := c.ListFunc(dir, func(e proto.Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Mkdir creates a remote directory.
func (c *Client) Mkdir(dir string) error {
	_, _, err := c.roundTrip(proto.Request{Op: proto.OpMkdir, Path: dir})
	return err
}

// Rename moves a remote file or directory within the home; a destination
// that is a directory receives it under its own name. It returns where it
// went.
func (c *Client) Rename(from, to string) (string, error) {
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpMv, Path: from, To: to})
	return resp.Path, err
}

// Remove removes a remote file or empty directory.
func (c *Client) Remove(p string) error {
	_, _, err := c.roundTrip(proto.Request{Op: proto.OpRm, Path: p})
	return err
}

// Usage is what a user stores against their limits.
type Usage struct {
	Bytes, BytesLimit int64
	// Files counts files, directories and part files.
	Files, FilesLimit int64
}

// Quota returns what the user stores against their limits.
func (c *Client) Quota() (Usage, error) {
	resp, _, err := c.roundTrip(proto.Request{Op: proto.OpQuota})
	return Usage{Bytes: resp.Used, BytesLimit: resp.Limit, Files: resp.Files, FilesLimit: resp.FilesLimit}, err
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

// checksumErr turns a server's checksum failure into an error wrapping
// ErrChecksum.
func checksumErr(err error) error {
	var pe *proto.Error
	if errors.As(err, &pe) && pe.Code == proto.CodeChecksum {
		return fmt.Errorf("%w: %s", ErrChecksum, pe.Msg)
	}
	return err
}

// discardBody reads what is left of a reply's body, so the session stays
// in step after the caller gave up on it.
func (c *Client) discardBody(body io.Reader) error {
	if _, err := io.Copy(io.Discard, body); err != nil {
		return connErr(err)
	}
	return nil
}
