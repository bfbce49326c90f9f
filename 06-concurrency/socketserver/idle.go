package socketserver

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// idleConn enforces Server.IdleTimeout: before each Read it moves the read
// deadline to now+timeout, unless the handler has set an earlier one.
type idleConn struct {
	net.Conn
	timeout time.Duration

	mu       sync.Mutex
	user     time.Time // read deadline set by the handler; zero means none
	idleDead time.Time // deadline of the latest Read; zero before the first

	timedOut atomic.Bool // a Read failed because the idle timeout passed
}

func newIdleConn(c net.Conn, timeout time.Duration) *idleConn {
	return &idleConn{Conn: c, timeout: timeout}
}

// effective returns the earlier of the handler's and the idle deadline;
// c.mu must be held.
func (c *idleConn) effective() time.Time {
	switch {
	case c.idleDead.IsZero():
		return c.user
	case c.user.IsZero() || c.user.After(c.idleDead):
		return c.idleDead
	default:
		return c.user
	}
}

// Read reads from the connection, failing with an error matching
// os.ErrDeadlineExceeded if no data arrives within the idle timeout.
func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.armRead(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	c.readDone(err)
	return n, err
}

// armRead starts the idle timeout of one read: it moves the read deadline
// to now+timeout, unless the handler's own deadline is earlier. Read calls
// it, and so does Echo before it waits on the socket underneath.
func (c *idleConn) armRead() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idleDead = time.Now().Add(c.timeout)
	return c.Conn.SetReadDeadline(c.effective())
}

// readDone records, after a read armed by armRead ended with err, whether
// it failed because the idle timeout passed (and not the handler's own,
// earlier deadline).
func (c *idleConn) readDone(err error) {
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return
	}
	c.mu.Lock()
	if c.user.IsZero() || c.user.After(c.idleDead) {
		c.timedOut.Store(true)
	}
	c.mu.Unlock()
}

// SetReadDeadline sets the handler's own read deadline; the idle timeout
// still applies to each Read.
func (c *idleConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user = t
	return c.Conn.SetReadDeadline(c.effective())
}

// SetDeadline sets the handler's own read and write deadlines.
func (c *idleConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// NetConn returns the connection this one wraps, for handlers that need
// its concrete type (for example *net.TCPConn to call CloseWrite). Reads on
// it bypass the idle timeout.
func (c *idleConn) NetConn() net.Conn { return c.Conn }
