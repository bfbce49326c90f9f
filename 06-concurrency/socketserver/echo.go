package socketserver

import (
	"context"
	"net"
	"sync"
)

// bufSize is the size of Echo's read buffer: recv(1024), as in the notes.
const bufSize = 1024

// bufPool holds Echo's read buffers. A connection borrows one only while
// data is being read and echoed, so an idle connection holds none.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, bufSize)
	return &b
}}

// Echo is a handler body that writes back every byte it reads until the
// client leaves, the way the notes' servers answer their clients (use it as
// HandlerFunc(Echo)). When ctx is canceled it stops at the next message
// boundary: data already read is echoed, then it returns instead of waiting
// for more.
//
// Echo reads at most 1024 bytes at a time (the notes' recv(1024)). While it
// waits for data it holds no buffer: on Unix it waits on the socket itself
// and borrows a buffer from a pool only once the kernel has data to hand
// over. Connections without a file descriptor (net.Pipe, TLS) fall back to
// an ordinary Read into a pooled buffer.
func Echo(ctx context.Context, conn net.Conn) {
	// Waking the blocked wait with a read deadline in the past is how a
	// handler makes it respect ctx.
	w := wakeOnCancel(ctx, conn)
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

// EchoDatagram is a packet handler body that sends data back to the address
// it came from, on the socket it arrived on (use it as
// PacketHandlerFunc(EchoDatagram)).
func EchoDatagram(_ context.Context, pc net.PacketConn, data []byte, addr net.Addr) {
	pc.WriteTo(data, addr) // a lost reply is what UDP promises; nothing to do
}
