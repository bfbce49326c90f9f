package socketserver

import (
	"context"
	"net"
	"sync"
)

// LowMemoryEcho is an echo handler that behaves like Echo but holds no read
// buffer while a connection is idle, for servers that keep many quiet
// clients (use it as a Handler: new(LowMemoryEcho); the zero value is
// ready, and one value may serve any number of servers).
//
// On Unix it waits on the socket itself and borrows a 1 KiB buffer from a
// pool only once the kernel has data to hand over (lowmem_unix.go).
// Connections without a file descriptor (net.Pipe, TLS), and all
// connections on other systems, read into a pooled buffer with Read, which
// holds the buffer while it waits.
//
// Shutdown wakes it as it wakes Echo, but with one context.AfterFunc for all
// the connections that share a context (all those of one Serve call) instead
// of one per connection.
type LowMemoryEcho struct {
	mu     sync.Mutex
	groups map[<-chan struct{}]*wakeGroup // by the Done channel of their context
}

// ServeConn echoes conn until the client leaves or ctx is canceled.
func (e *LowMemoryEcho) ServeConn(ctx context.Context, conn net.Conn) {
	w := e.wakeOnCancel(ctx, conn)
	defer w.release()
	r := newPooledReader(conn)
	for {
		buf, n, err := r.read()
		if n > 0 {
			if _, werr := conn.Write((*buf)[:n]); werr != nil {
				err = werr
			}
		}
		if buf != nil {
			bufPool.Put(buf)
		}
		if err != nil {
			return // io.EOF, a reset, the idle timeout, shutdown, a failed write
		}
	}
}

// bufPool holds the read buffers of LowMemoryEcho: recv(1024), as in the
// note. A connection borrows one only while data is being read and echoed.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 1024)
	return &b
}}

// pooledReader reads from a connection into buffers borrowed from bufPool.
type pooledReader struct {
	idle *idleConn // the idle-timeout wrapper, if conn is one
	raw  rawReader // reads the connection underneath
}

func newPooledReader(conn net.Conn) pooledReader {
	ic, _ := conn.(*idleConn)
	if ic != nil {
		conn = ic.Conn
	}
	return pooledReader{idle: ic, raw: newRawReader(conn)}
}

// read waits for data, then reads it into a buffer from bufPool. It returns
// the buffer (nil if it holds no data, in which case err is set), the number
// of bytes read, and io.EOF when the peer has closed its side. With the idle
// wrapper the wait is bounded by the idle timeout exactly as Read is.
func (r pooledReader) read() (*[]byte, int, error) {
	if r.idle == nil {
		return r.raw.read()
	}
	if err := r.idle.armRead(); err != nil {
		return nil, 0, err
	}
	buf, n, err := r.raw.read()
	r.idle.readDone(err)
	return buf, n, err
}

// readPlain is the portable way: borrow a buffer and Read into it. The
// buffer is held while Read blocks.
func readPlain(conn net.Conn) (*[]byte, int, error) {
	buf := bufPool.Get().(*[]byte)
	n, err := conn.Read(*buf)
	if n == 0 {
		bufPool.Put(buf)
		buf = nil
	}
	return buf, n, err
}

// wakeGroup is the connections waiting in ServeConn under one context, and
// the one AfterFunc that wakes them all when it is canceled.
type wakeGroup struct {
	conns map[net.Conn]struct{}
	stop  func() bool // stops the AfterFunc
}

// waker is what wakeOnCancel returns; release undoes it. It is a value, so
// it lives on the connection goroutine's stack.
type waker struct {
	e    *LowMemoryEcho
	done <-chan struct{}
	conn net.Conn
}

// wakeOnCancel arranges for conn's reads to be woken (see wakeRead) once
// ctx is canceled, so a ServeConn waiting for data sees ctx end. The caller
// must call release when it stops reading.
func (e *LowMemoryEcho) wakeOnCancel(ctx context.Context, conn net.Conn) waker {
	done := ctx.Done()
	if done == nil {
		return waker{} // never canceled
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ctx.Err() != nil {
		wakeRead(conn)
		return waker{}
	}
	g := e.groups[done]
	if g == nil {
		if e.groups == nil {
			e.groups = make(map[<-chan struct{}]*wakeGroup)
		}
		g = &wakeGroup{conns: make(map[net.Conn]struct{})}
		g.stop = context.AfterFunc(ctx, func() { e.wakeAll(done) })
		e.groups[done] = g
	}
	g.conns[conn] = struct{}{}
	return waker{e: e, done: done, conn: conn}
}

// wakeAll wakes every connection of the group whose context has ended.
// Connections that register after this see ctx.Err() and wake themselves.
func (e *LowMemoryEcho) wakeAll(done <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groups[done]
	if g == nil {
		return
	}
	for c := range g.conns {
		wakeRead(c)
	}
	delete(e.groups, done)
}

func (w waker) release() {
	if w.e == nil {
		return
	}
	w.e.mu.Lock()
	defer w.e.mu.Unlock()
	g := w.e.groups[w.done]
	if g == nil {
		return // woken and forgotten by wakeAll
	}
	delete(g.conns, w.conn)
	if len(g.conns) == 0 {
		g.stop()
		delete(w.e.groups, w.done)
	}
}
