package sticky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// ErrDropped is wrapped by WriteAll's error when the server closed or reset the
// connection.
var ErrDropped = errors.New("connection dropped by the server")

// Dial connects to the server at addr within timeout. Its errors are the usual
// one-line messages: no server listening, an address that does not parse or
// resolve, or no answer in time.
func Dial(ctx context.Context, addr string, timeout time.Duration) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		return c.(*net.TCPConn), nil
	}
	var ae *net.AddrError
	var dnse *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("no server at %s (connection refused): is the server running?", addr)
	case errors.As(err, &ae), errors.As(err, &dnse):
		return nil, fmt.Errorf("bad address %q: %w", addr, unwrapOp(err))
	case errors.As(err, &ne) && ne.Timeout():
		return nil, fmt.Errorf("no answer from %s within %v", addr, timeout)
	}
	return nil, fmt.Errorf("cannot connect to %s: %w", addr, unwrapOp(err))
}

// unwrapOp drops the "dial tcp ADDR: " prefix of a *net.OpError.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// WriteAll writes each of msgs to c as a separate write, sleeping gap between
// writes, and prints every write to out, numbered, with its length and its bytes
// quoted. On Linux, each line also shows how many data segments the connection has
// sent so far. An empty message is skipped and reported, since an empty write sends
// nothing on TCP.
func WriteAll(ctx context.Context, c net.Conn, msgs []string, gap time.Duration, out io.Writer) error {
	tc, _ := c.(*net.TCPConn)
	base := -1
	if tc != nil {
		if n, err := SegmentsSent(tc); err == nil {
			base = n
		}
	}
	for i, m := range msgs {
		if i > 0 && gap > 0 {
			if err := sleep(ctx, gap); err != nil {
				return err
			}
		}
		if m == "" {
			if _, err := fmt.Fprintf(out, "write #%d: skipped: an empty write sends nothing on TCP\n", i+1); err != nil {
				return err
			}
			continue
		}
		n, err := c.Write([]byte(m))
		line := fmt.Sprintf("write #%d: %s", i+1, Quote([]byte(m[:n])))
		if base >= 0 {
			if segs, serr := SegmentsSent(tc); serr == nil {
				line += fmt.Sprintf("  [data segments sent: %d]", segs-base)
			}
		}
		if _, werr := fmt.Fprintln(out, line); werr != nil {
			return werr
		}
		if errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("%w: connection reset by peer", ErrDropped)
		}
		if errors.Is(err, syscall.EPIPE) {
			return ErrDropped
		}
		if err != nil {
			return fmt.Errorf("write #%d: %w", i+1, err)
		}
	}
	return nil
}
