package udpecho

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// DefaultTimeout is how long a Client waits for each reply when no timeout
// is given.
const DefaultTimeout = 10 * time.Second

// ErrNoReply is returned (wrapped) by Exchange when no reply arrives in
// time. On UDP this is all a client learns when the server is not running,
// when its datagram was lost, or when the reply was lost.
var ErrNoReply = errors.New("no reply")

// Client sends datagrams to one server and waits for each reply.
//
// Its socket is connected (like Go's net.Dial("udp", ...)): the kernel
// delivers only datagrams that come from the server's address, and on Linux
// an ICMP "port unreachable" answer to an earlier datagram makes a later
// read fail with ECONNREFUSED.
//
// A Client handles one exchange at a time; it is not safe for concurrent
// use.
type Client struct {
	conn    net.Conn
	timeout time.Duration
	buf     []byte
}

// Dial returns a Client for the server at addr ("host:port"). Dial sends
// nothing: UDP has no handshake, so it fails only when addr cannot be
// resolved. Each Exchange waits at most timeout for its reply; zero means
// DefaultTimeout.
func Dial(ctx context.Context, addr string, timeout time.Duration) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{conn: conn, timeout: timeout, buf: make([]byte, readBufSize)}, nil
}

// Exchange sends msg as one datagram (an empty msg is sent too, as an empty
// datagram) and returns the payload of the next datagram from the server.
// If none arrives within the client's timeout, the error wraps ErrNoReply.
// If ctx ends first, Exchange returns ctx.Err().
//
// UDP does not match replies to requests: after ErrNoReply, a late reply to
// that message may be what the next Exchange returns. A caller that goes on
// after a timeout should number its messages.
func (c *Client) Exchange(ctx context.Context, msg []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := c.conn.Write(msg); err != nil {
		return nil, err
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return nil, err
	}
	// Cancelling ctx moves the deadline to now, which ends the read.
	stop := context.AfterFunc(ctx, func() {
		// If this fails, the read still ends at the timeout.
		c.conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	n, err := c.conn.Read(c.buf)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("%w from %s within %v", ErrNoReply, c.conn.RemoteAddr(), c.timeout)
		}
		return nil, err
	}
	return append([]byte(nil), c.buf[:n]...), nil
}

// LocalAddr returns the client's own address, the source address of its
// datagrams.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the server's address.
func (c *Client) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// Close closes the client's socket.
func (c *Client) Close() error { return c.conn.Close() }
