package ftpserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// errLineTooLong: a command line over MaxLine bytes.
var errLineTooLong = errors.New("command line over 4096 bytes")

// errSlowLine wraps the timeout of a command line that started but did
// not end in time: a client trickling it.
var errSlowLine = errors.New("command line not finished in time")

// ctrl is the control connection: command lines in, replies out, each
// under its deadline. Only interrupt may be called from another
// goroutine.
type ctrl struct {
	nc net.Conn // plain, or TLS after AUTH TLS
	br *bufio.Reader
	bw *bufio.Writer

	idle, line, write time.Duration

	mu          sync.Mutex
	limit       time.Time // no read or write past it (the login's end); zero: none
	waiting     bool      // waiting for the first byte of a command
	interrupted bool
}

func newCtrl(conn net.Conn, s *Server) *ctrl {
	return &ctrl{
		nc:    conn,
		br:    bufio.NewReaderSize(conn, MaxLine),
		bw:    bufio.NewWriterSize(conn, 4096),
		idle:  s.IdleTimeout,
		line:  orDefault(s.LineTimeout, 10*time.Second),
		write: orDefault(s.WriteTimeout, time.Minute),
	}
}

// use replaces the connection underneath (after AUTH TLS).
func (c *ctrl) use(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nc = conn
	c.br.Reset(conn)
	c.bw.Reset(conn)
}

// interrupt ends a wait for the next command now, and makes every later
// one end at once; a command being read, and a transfer, go on.
func (c *ctrl) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupted = true
	if c.waiting {
		c.nc.SetReadDeadline(time.Now())
	}
}

func (c *ctrl) isInterrupted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interrupted
}

func (c *ctrl) setLimit(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = t
}

// within returns the earlier of now+d (none if d is zero) and the limit;
// c.mu must be held.
func (c *ctrl) within(d time.Duration) time.Time {
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	if !c.limit.IsZero() && (t.IsZero() || c.limit.Before(t)) {
		return c.limit
	}
	return t
}

// readLine returns the next command line, "\n" included. The wait for its
// first byte is bounded by the idle timeout (and the login's deadline);
// once it has started the whole line must arrive within the line timeout,
// however the client paces it.
func (c *ctrl) readLine() ([]byte, error) {
	c.mu.Lock()
	c.waiting = true
	d := c.within(c.idle)
	if c.interrupted {
		d = time.Now()
	}
	c.nc.SetReadDeadline(d)
	c.mu.Unlock()

	_, err := c.br.Peek(1)

	c.mu.Lock()
	c.waiting = false
	if err == nil {
		c.nc.SetReadDeadline(c.within(c.line))
	}
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, errLineTooLong
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("%w: %w", errSlowLine, err)
	}
	return line, err
}

// reply writes one reply. A text of several lines becomes a multi-line
// reply (RFC 959, 4.2): "code-first line", the lines between indented by
// a space, "code last line".
func (c *ctrl) reply(code int, text string) error {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		switch {
		case len(lines) == 1:
			fmt.Fprintf(c.bw, "%d %s\r\n", code, l)
		case i == 0:
			fmt.Fprintf(c.bw, "%d-%s\r\n", code, l)
		case i == len(lines)-1:
			fmt.Fprintf(c.bw, "%d %s\r\n", code, l)
		default:
			fmt.Fprintf(c.bw, " %s\r\n", l)
		}
	}
	return c.flush()
}

// farewell writes a last reply to a client that is being dropped (its
// deadline may have passed already), allowing it one second.
func (c *ctrl) farewell(code int, text string) {
	c.mu.Lock()
	c.limit = time.Time{}
	c.write = time.Second
	c.mu.Unlock()
	c.reply(code, text)
}

func (c *ctrl) flush() error {
	c.mu.Lock()
	c.nc.SetWriteDeadline(c.within(c.write))
	c.mu.Unlock()
	return c.bw.Flush()
}
