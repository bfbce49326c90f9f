package proto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHeaderTimeoutIsNotRenewedByTrickledBytes: once a header's first
// byte is in, the whole header must arrive within HeaderTimeout, however
// often bytes trickle in.
func TestHeaderTimeoutIsNotRenewedByTrickledBytes(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := NewConn(a)
	c.ReadTimeout = time.Hour
	c.HeaderTimeout = 200 * time.Millisecond
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		b.Write([]byte{0x40, 0, 0, 0}) // a 64-byte header, then a byte every 20 ms
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := b.Write([]byte{' '}); err != nil {
					return
				}
			}
		}
	}()
	done := make(chan error, 1)
	go func() { _, _, err := c.ReadRequest(); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadRequest of a trickled header = %v, want a deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a trickled header kept ReadRequest waiting")
	}
}

// TestConnLeavesTheCallersDeadlineAlone: a Conn with no timeouts of its
// own does not clear a deadline its caller set on the connection.
func TestConnLeavesTheCallersDeadlineAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	a.SetDeadline(time.Now().Add(50 * time.Millisecond))
	done := make(chan error, 1)
	go func() { _, _, err := NewConn(a).ReadResponse(); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadResponse = %v, want the caller's deadline to hold", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the caller's deadline was cleared")
	}
}

// TestDeadlineBoundsEveryRead: SetDeadline bounds a read whatever
// ReadTimeout says, and the zero time lifts it.
func TestDeadlineBoundsEveryRead(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := NewConn(a)
	c.ReadTimeout = time.Hour
	c.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, _, err := c.ReadRequest(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadRequest under a past deadline = %v", err)
	}
	c.SetDeadline(time.Time{})
	go NewConn(b).WriteRequest(Request{Op: OpPwd})
	if req, _, err := c.ReadRequest(); err != nil || req.Op != OpPwd {
		t.Errorf("ReadRequest after the deadline was lifted = %+v, %v", req, err)
	}
}

// wrapped is a connection wrapper that says what it wraps, as an idle
// timer or the replay of sniffed bytes does.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

// readerFromConn stands for a *net.TCPConn: it takes a ReadFrom of its own
// (sendfile) and records what reached it that way.
type readerFromConn struct {
	net.Conn
	got bytes.Buffer
}

func (c *readerFromConn) ReadFrom(r io.Reader) (int64, error) { return c.got.ReadFrom(r) }

// TestDataGoesToTheKernelThroughWrappers: a download's body written with
// ReadFrom reaches the ReadFrom of the connection under every wrapper that
// has a NetConn method, where the kernel copies a file without it passing
// through the process.
func TestDataGoesToTheKernelThroughWrappers(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	inner := &readerFromConn{Conn: a}
	c := NewConn(wrapped{wrapped{inner}})
	go io.Copy(io.Discard, b) // the header
	c.WriteTimeout = 10 * time.Second
	w, err := c.StartData(Response{OK: true}, 5)
	if err != nil {
		t.Fatal(err)
	}
	n, err := w.(io.ReaderFrom).ReadFrom(&io.LimitedReader{R: strings.NewReader("hello, world"), N: 5})
	if err != nil || n != 5 {
		t.Fatalf("ReadFrom = %d, %v; want 5, nil", n, err)
	}
	if got := inner.got.String(); got != "hello" {
		t.Errorf("the connection's own ReadFrom got %q, want %q", got, "hello")
	}
}
