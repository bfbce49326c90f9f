package message

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// Client sends messages to a Server.
type Client struct {
	// Out receives one line per message sent and per reply. Nil means
	// discard.
	Out io.Writer
	// Timeout bounds the dial and the wait for each reply. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is a Client's Timeout when its own is zero.
const DefaultTimeout = 10 * time.Second

// ErrDropped means the server closed or reset the connection.
var ErrDropped = errors.New("connection dropped by the server")

// Send connects to addr and writes each message as one frame, one Write
// call each, in quick succession, exactly the writes that chapter 03's
// client makes unframed. It then reads one reply per message and checks
// that the server got each message whole. Its errors read as one line: a
// server that is not running, a bad address, a dropped connection, a
// reply that does not come.
func (cl *Client) Send(ctx context.Context, addr string, msgs []string) error {
	out := cl.Out
	if out == nil {
		out = io.Discard
	}
	timeout := cl.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c, err := Dial(ctx, addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	for i, m := range msgs {
		if err := frame.WriteBytes(c, Header{Seq: i + 1}, []byte(m)); err != nil {
			return connError(ctx, addr, timeout, err)
		}
		fmt.Fprintf(out, "sent message %d: %d bytes %q\n", i+1, len(m), m)
	}

	var refused int
	for i, m := range msgs {
		if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
		h, body, err := frame.ReadBytes(c, int64(len(m)))
		if err != nil {
			return connError(ctx, addr, timeout, err)
		}
		var rh Header
		if err := h.Decode(&rh); err != nil {
			return fmt.Errorf("reply %d: %w", i+1, err)
		}
		switch {
		case rh.Error != "":
			refused++
			fmt.Fprintf(out, "reply %d: refused: %s\n", rh.Seq, rh.Error)
		case rh.Seq != i+1 || string(body) != m:
			return fmt.Errorf("reply %d is seq %d %q, want seq %d %q", i+1, rh.Seq, body, i+1, m)
		default:
			fmt.Fprintf(out, "reply %d: server got %q whole\n", rh.Seq, body)
		}
	}
	if refused > 0 {
		return fmt.Errorf("server refused %d of %d messages", refused, len(msgs))
	}
	return nil
}

// Dial connects to addr over TCP, giving up after timeout, and words the
// usual failures as the one-line messages that every client of this course
// shows:
//
//	no server at 127.0.0.1:8080 (connection refused): is the server running?
//	bad address "8080": missing port in address
//	no reply from 192.0.2.1:8080 within 10s
//
// Chapter 05's client dials with it too.
func Dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return nil, fmt.Errorf("bad address %q: %w", addr, err)
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	var dnsErr *net.DNSError
	var ae *net.AddrError
	switch {
	case err == nil:
		return c, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("no server at %s (connection refused): is the server running?", addr)
	case errors.As(err, &dnsErr):
		return nil, fmt.Errorf("bad address %q: %s", addr, dnsErr.Err)
	case errors.As(err, &ae):
		return nil, fmt.Errorf("bad address %q: %s", addr, ae.Err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("no reply from %s within %v", addr, timeout)
	}
	return nil, err
}

// Dropped reports whether err, from a read or a write, means that the
// server closed or reset the connection. If so it returns ErrDropped, with
// ": connection reset by peer" added for a reset; otherwise nil.
func Dropped(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w: connection reset by peer", ErrDropped)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return ErrDropped
	}
	return nil
}

// connError words the error of a read or write on a connection to addr.
func connError(ctx context.Context, addr string, timeout time.Duration, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("no reply from %s within %v", addr, timeout)
	}
	if d := Dropped(err); d != nil {
		return d
	}
	return err
}
