package message

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// Client sends messages to a Server.
type Client struct {
	// Out receives one line per message sent and per reply. Nil means
	// discard.
	Out io.Writer
	// Timeout bounds the dial and each read of a reply. Zero means 10s.
	Timeout time.Duration
}

// Send connects to addr and writes each message as one frame, one Write
// call each, in quick succession, exactly the writes that chapter 03's
// client makes unframed. It then reads one reply per message and checks
// that the server got each message whole. Errors read as one line: a
// server that is not running, a bad address, a dropped connection.
func (cl *Client) Send(ctx context.Context, addr string, msgs []string) error {
	out := cl.Out
	if out == nil {
		out = io.Discard
	}
	timeout := cl.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("bad address %q: want host:port, such as 127.0.0.1:8080", addr)
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("connect to %s: connection refused: is the server running?", addr)
		}
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	for i, m := range msgs {
		if err := frame.WriteBytes(c, Header{Seq: i + 1}, []byte(m)); err != nil {
			return fmt.Errorf("send message %d: %w", i+1, dropped(err))
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
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("server closed the connection after %d of %d replies", i, len(msgs))
			}
			return fmt.Errorf("read reply %d: %w", i+1, dropped(err))
		}
		var rh Header
		if err := h.Decode(&rh); err != nil {
			return fmt.Errorf("read reply %d: %w", i+1, err)
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

// dropped rewords the errors of a connection that the server dropped.
func dropped(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("connection dropped by the server: %w", err)
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("connection closed: %w", err)
	}
	return err
}
