package rsh

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// Errors of the client. Test for them with errors.Is.
var (
	// ErrDropped means the server closed or lost the connection.
	ErrDropped = errors.New("connection dropped by the server")
	// ErrNoReply means an unframed reply did not start within the wait.
	// The unframed protocol cannot say "no output": an empty reply is
	// zero bytes on the wire, which is nothing at all.
	ErrNoReply = errors.New("no reply (the unframed server sends nothing when a command prints nothing)")
	// ErrBadCommand means a command the client refuses to send.
	ErrBadCommand = errors.New("bad command")
)

// Client sends commands to a server over one connection, one at a time.
type Client struct {
	conn net.Conn
	br   *bufio.Reader
}

// Dial connects to the server at addr (host:port).
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewClient(conn), nil
}

// NewClient returns a Client that talks over conn.
func NewClient(conn net.Conn) *Client {
	return &Client{conn: conn, br: bufio.NewReader(conn)}
}

// Close closes the connection; the server kills a command still running.
func (c *Client) Close() error { return c.conn.Close() }

func checkCommand(command string, limit int) error {
	switch {
	case command == "":
		// On TCP an empty send sends nothing, and the reply would never come.
		return fmt.Errorf("%w: empty", ErrBadCommand)
	case len(command) > limit:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrBadCommand, len(command), limit)
	case bytes.IndexByte([]byte(command), 0) >= 0:
		return fmt.Errorf("%w: holds a zero byte", ErrBadCommand)
	}
	return nil
}

// Run sends command as a framed request and waits for the reply, copying the
// command's stdout to stdout and its stderr to stderr as the body streams in.
// A reply whose header has only data_size (the notes' server) goes entirely
// to stdout. A command that the server could not run is reported in
// Reply.Error, with a nil error.
func (c *Client) Run(command string, stdout, stderr io.Writer) (Reply, error) {
	if err := checkCommand(command, MaxCommandSize); err != nil {
		return Reply{}, err
	}
	if err := frame.WriteBytes(c.conn, nil, []byte(command)); err != nil {
		return Reply{}, dropped(err)
	}
	h, err := frame.ReadHeader(c.br)
	if err != nil {
		return Reply{}, dropped(err)
	}
	var rep Reply
	if err := h.Decode(&rep); err != nil {
		return Reply{}, err
	}
	if rep.StdoutSize < 0 || rep.StderrSize < 0 || rep.StdoutSize+rep.StderrSize != h.DataSize {
		rep.StdoutSize, rep.StderrSize = h.DataSize, 0
	}
	body := h.Body(c.br)
	if _, err := io.CopyN(stdout, body, rep.StdoutSize); err != nil {
		return rep, dropped(err)
	}
	if _, err := io.CopyN(stderr, body, rep.StderrSize); err != nil {
		return rep, dropped(err)
	}
	return rep, nil
}

// RunUnframed talks to an unframed server the notes' way: it sends the raw
// command and returns what one read of up to 1024 bytes brings. A longer
// reply is left in the socket and comes back as the answer to the next
// command (claim R2). If nothing arrives within wait, it returns ErrNoReply.
func (c *Client) RunUnframed(command string, wait time.Duration) ([]byte, error) {
	if err := checkCommand(command, RawCommandSize); err != nil {
		return nil, err
	}
	if _, err := c.conn.Write([]byte(command)); err != nil {
		return nil, dropped(err)
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return nil, err
	}
	buf := make([]byte, RawCommandSize)
	n, err := c.br.Read(buf)
	if derr := c.conn.SetReadDeadline(time.Time{}); derr != nil && err == nil {
		err = derr
	}
	switch {
	case n > 0:
		return buf[:n], nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, ErrNoReply
	default:
		return nil, dropped(err)
	}
}

// dropped turns the ways a connection can end into ErrDropped.
func dropped(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || isReset(err) {
		return fmt.Errorf("%w: %w", ErrDropped, err)
	}
	return err
}

// isReset reports whether err is a connection reset or broken pipe.
func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout()
}
