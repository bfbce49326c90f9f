//go:build unix

package socketserver

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawReader reads a connection that has a file descriptor straight from
// the socket, so that nothing is held while it waits for data.
type rawReader struct {
	conn net.Conn
	rc   syscall.RawConn // nil: conn has no descriptor; use readPlain
	op   *rawRead
}

// rawRead is one connection's read attempt, made once and reused: a fresh
// closure per message would cost 4 small allocations (64 bytes) per
// message, and so garbage collections; this costs 48 bytes per connection.
type rawRead struct {
	buf *[]byte
	n   int
	err error
	try func(fd uintptr) bool // calls attempt; bound once
}

func newRawReader(conn net.Conn) rawReader {
	r := rawReader{conn: conn}
	if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			r.rc = rc
			r.op = new(rawRead)
			r.op.try = r.op.attempt
		}
	}
	return r
}

// read waits until the socket is readable without holding a buffer, then
// reads into one from bufPool.
//
// RawConn.Read calls op.try, and while it returns false waits for the
// netpoller to report the socket readable, then calls it again. The
// netpoller is edge-triggered: it wakes a waiter when new data arrives, not
// while old data sits unread. So try may return false only when the kernel
// has just said there is nothing to read (EAGAIN). Returning false on a
// guess would hang when bytes are already queued, for example the rest of a
// 5000-byte message after a 1024-byte read. So try makes the read itself:
// it borrows a buffer, reads without blocking (the socket is non-blocking),
// and gives the buffer back on EAGAIN. That is the system call a blocked
// conn.Read makes too, so this costs no extra call per message.
// RawConn.Read honours the read deadline, so the idle timeout and the
// shutdown wake-up still end the wait.
func (r rawReader) read() (*[]byte, int, error) {
	if r.rc == nil {
		return readPlain(r.conn)
	}
	op := r.op
	err := r.rc.Read(op.try)
	buf, n, rerr := op.buf, op.n, op.err
	*op = rawRead{try: op.try}
	switch {
	case err != nil: // deadline passed, or the conn was closed
		return nil, 0, err
	case rerr != nil: // e.g. ECONNRESET
		bufPool.Put(buf)
		return nil, 0, os.NewSyscallError("read", rerr)
	case n == 0: // the peer closed its side
		bufPool.Put(buf)
		return nil, 0, io.EOF
	}
	return buf, n, nil
}

// attempt is one non-blocking read; it reports whether it is done (data,
// EOF or an error) or the socket had nothing (EAGAIN).
func (op *rawRead) attempt(fd uintptr) bool {
	b := bufPool.Get().(*[]byte)
	for {
		op.n, op.err = syscall.Read(int(fd), *b)
		if op.err != syscall.EINTR {
			break
		}
	}
	if op.err == syscall.EAGAIN {
		bufPool.Put(b)
		return false // nothing queued: wait for the next edge
	}
	op.buf = b
	return true
}
