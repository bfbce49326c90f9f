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
	"github.com/gosockets/tutorial/04-struct-framing/message"
)

// Errors of the client. Test for them with errors.Is.
var (
	// ErrDropped means the server closed or reset the connection.
	ErrDropped = message.ErrDropped
	// ErrNoReply means an unframed reply did not start in time. The
	// unframed protocol cannot say "no output": an empty reply is zero
	// bytes on the wire, which is nothing at all.
	ErrNoReply = errors.New("no reply")
	// ErrBadCommand means a command the client refuses to send.
	ErrBadCommand = errors.New("bad command")
	// ErrShutDown means the server killed the command because it was
	// shutting down; it hangs up next.
	ErrShutDown = errors.New("the server shut down")
)

// Client sends commands to a server over one connection, one at a time,
// in any of the three protocols: Run (framed requests, ours), RunNotes
// (the note's struct protocol) and RunUnframed (the note's ssh programs).
type Client struct {
	conn net.Conn
	br   *bufio.Reader
}

// Dial connects to the server at addr (host:port) within timeout. Its
// errors are the course's one-line messages (see message.Dial).
func Dial(ctx context.Context, addr string, timeout time.Duration) (*Client, error) {
	conn, err := message.Dial(ctx, addr, timeout)
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

// Run sends command as a framed request and waits for the reply, copying the
// command's stdout to stdout and its stderr to stderr as the body streams in.
// A command that the server did not run is reported in Reply.Error, with a
// nil error, except ErrServerBusy, which Run returns. A command killed
// because the server shut down comes with ErrShutDown.
func (c *Client) Run(command string, stdout, stderr io.Writer) (Reply, error) {
	if err := checkCommand(command, MaxCommandSize); err != nil {
		return Reply{}, err
	}
	if err := frame.WriteBytes(c.conn, nil, []byte(command)); err != nil {
		return Reply{}, dropped(err)
	}
	return c.readReply(stdout, stderr)
}

// RunNotes speaks the note's struct protocol (利用struct解决粘包问题): it
// sends the command's bytes as they are, with one write, as the note's
// client does, and reads a framed reply. A reply whose header has only
// data_size, as the note's server sends, goes entirely to stdout. The
// note's server takes a command in one recv(1024), so commands are limited
// to RawCommandSize bytes.
func (c *Client) RunNotes(command string, stdout, stderr io.Writer) (Reply, error) {
	if err := checkCommand(command, RawCommandSize); err != nil {
		return Reply{}, err
	}
	if _, err := c.conn.Write([]byte(command)); err != nil {
		return Reply{}, dropped(err)
	}
	return c.readReply(stdout, stderr)
}

// readReply reads one framed reply, streaming its body to stdout and
// stderr.
func (c *Client) readReply(stdout, stderr io.Writer) (Reply, error) {
	h, err := frame.ReadHeader(c.br)
	if err != nil {
		return Reply{}, dropped(err)
	}
	var rep Reply
	if err := h.Decode(&rep); err != nil {
		return Reply{}, err
	}
	if rep.StdoutSize < 0 || rep.StderrSize < 0 || rep.StdoutSize+rep.StderrSize != h.DataSize {
		rep.StdoutSize, rep.StderrSize = h.DataSize, 0 // the note's header: data_size only
	}
	body := h.Body(c.br)
	if _, err := io.CopyN(stdout, body, rep.StdoutSize); err != nil {
		return rep, dropped(err)
	}
	if _, err := io.CopyN(stderr, body, rep.StderrSize); err != nil {
		return rep, dropped(err)
	}
	switch {
	case rep.Error == ErrServerBusy.Error():
		return rep, ErrServerBusy
	case rep.Killed == KilledByShutdown:
		return rep, ErrShutDown
	}
	return rep, nil
}

// RunUnframed talks to an unframed server the note's way: it sends the raw
// command and returns what one read of up to 1024 bytes brings. A longer
// reply is left in the socket and comes back as the answer to the next
// command (claim R2). If nothing arrives within wait, it returns an error
// that wraps ErrNoReply.
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
		return nil, fmt.Errorf("%w from %s within %v (the unframed server sends nothing for a command that prints nothing)",
			ErrNoReply, c.conn.RemoteAddr(), wait)
	default:
		return nil, dropped(err)
	}
}

func checkCommand(command string, limit int) error {
	switch {
	case command == "":
		// On TCP an empty send sends nothing, and the reply would never come.
		return fmt.Errorf("%w: empty", ErrBadCommand)
	case len(command) > limit:
		return fmt.Errorf("%w: %d bytes is too long (the limit is %d)", ErrBadCommand, len(command), limit)
	case bytes.IndexByte([]byte(command), 0) >= 0:
		return fmt.Errorf("%w: holds a zero byte", ErrBadCommand)
	}
	return nil
}

// dropped turns the ways the server can end a connection into ErrDropped.
func dropped(err error) error {
	if d := message.Dropped(err); d != nil {
		return d
	}
	return err
}
