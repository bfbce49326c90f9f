package sticky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// NotesWrites are the two writes of the notes' client: "helloworld", then "SB".
var NotesWrites = []string{"helloworld", "SB"}

// DefaultTimeout bounds a demonstration whose context has no deadline, so that a
// broken run fails in seconds instead of hanging.
const DefaultTimeout = 10 * time.Second

// deadline returns ctx's deadline, or DefaultTimeout from now.
func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(DefaultTimeout)
}

// bounded returns ctx with a deadline DefaultTimeout from now if it has none.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, deadline(ctx))
}

// tcpPair connects two TCP sockets and returns the dialing end (the writer) and
// the accepted end (the reader), on loopback or in the Net that ctx carries. Both
// carry ctx's deadline and are closed early if ctx is cancelled; the caller
// closes them.
func tcpPair(ctx context.Context) (w, r *net.TCPConn, err error) {
	n := netFrom(ctx)
	var lc net.ListenConfig
	var d net.Dialer
	var ln net.Listener
	if err := n.inReader(func() (err error) {
		ln, err = lc.Listen(ctx, "tcp", n.readerAddr())
		return err
	}); err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	dl := deadline(ctx)
	if err := ln.(*net.TCPListener).SetDeadline(dl); err != nil {
		return nil, nil, err
	}
	d.Deadline = dl
	var wc net.Conn
	if err := n.inWriter(func() (err error) {
		wc, err = d.DialContext(ctx, "tcp", ln.Addr().String())
		return err
	}); err != nil {
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	rc, err := ln.Accept()
	if err != nil {
		wc.Close()
		return nil, nil, fmt.Errorf("accept: %w", err)
	}
	w, r = wc.(*net.TCPConn), rc.(*net.TCPConn)
	for _, c := range []*net.TCPConn{w, r} {
		if err := c.SetDeadline(dl); err != nil {
			w.Close()
			r.Close()
			return nil, nil, err
		}
	}
	context.AfterFunc(ctx, func() {
		w.Close()
		r.Close()
	})
	return w, r, nil
}

// countSegments records in tl how many data segments w has sent, where the
// system can tell.
func countSegments(tl *Timeline, w *net.TCPConn) {
	if n, err := SegmentsSent(w); err == nil {
		tl.mu.Lock()
		tl.DataSegments = n
		tl.mu.Unlock()
	}
}

// connect records in tl the addresses of a run's two sockets.
func connect(tl *Timeline, w, r net.Conn) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.Writer, tl.Reader = w.LocalAddr(), r.LocalAddr()
}

// both runs writer in a new goroutine and reader in this one and returns their errors.
func both(writer, reader func() error) error {
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() { werr = writer() })
	rerr := reader()
	wg.Wait()
	return errors.Join(werr, rerr)
}

// write writes p to c and records it in tl; remark, if not nil, is called after the
// write and its result appended to the row.
func write(c net.Conn, tl *Timeline, p string, remark func() string) error {
	n, err := c.Write([]byte(p))
	r := ""
	if remark != nil {
		r = remark()
	}
	tl.Write([]byte(p[:n]), r)
	if err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	return nil
}

// readUntilEOF reads c, recording every read in tl, until the end of the stream.
// The i-th read asks for sizes[i] bytes; the last size repeats.
func readUntilEOF(c net.Conn, tl *Timeline, sizes ...int) error {
	buf := make([]byte, max(sizes[len(sizes)-1], sizes[0]))
	for i := 0; ; i++ {
		size := sizes[min(i, len(sizes)-1)]
		if size > len(buf) {
			buf = make([]byte, size)
		}
		n, err := c.Read(buf[:size])
		if n > 0 {
			tl.Read(buf[:n], "")
		}
		if errors.Is(err, io.EOF) {
			tl.EOF()
			return nil
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
}

// recordingReader records in tl every Read that returns bytes.
type recordingReader struct {
	r  io.Reader
	tl *Timeline
}

// Read reads from the underlying reader and records what it returned.
func (rr recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if n > 0 {
		rr.tl.Read(p[:n], "")
	}
	return n, err
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait waits for ch to be closed or to deliver, or for ctx to be done.
func wait[T any](ctx context.Context, ch <-chan T) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func total(msgs []string) int {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return n
}
