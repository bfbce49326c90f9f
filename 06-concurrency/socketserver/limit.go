package socketserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"
)

// BusyMessage is the line a connection over Server.MaxConns is told when
// Server.OverLimit is nil. Every program of this course words "server
// busy" this way; this chapter's client recognises the line and prints it
// as its error.
const BusyMessage = "server busy: too many clients, try again later\n"

// overLimitTimeout bounds the time spent on a connection over the limit,
// so a client that never reads or never leaves cannot pin a goroutine. (A
// variable so that a test can make it longer than the test itself.)
var overLimitTimeout = 5 * time.Second

// drainLimit bounds what refuse reads and throws away while it waits for a
// refused client to leave.
const drainLimit = 64 << 10

// refuse tells a connection over MaxConns that the server is busy, then
// closes it.
func (s *Server) refuse(ctx context.Context, conn net.Conn) {
	log := s.logger().With("remote", conn.RemoteAddr().String())
	log.Warn("server busy; client refused", "max_conns", s.MaxConns)
	defer func() {
		if v := recover(); v != nil {
			log.Error("OverLimit handler panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		s.forget(conn, false)
	}()
	if err := conn.SetDeadline(time.Now().Add(overLimitTimeout)); err != nil {
		return
	}
	if s.OverLimit != nil {
		s.OverLimit.ServeConn(ctx, conn)
		return
	}
	if _, err := io.WriteString(conn, BusyMessage); err != nil {
		log.Debug("telling the client the server is busy failed", "err", err)
		return
	}
	// The client may already have sent something. Closing a socket with
	// unread data makes the kernel answer with a reset instead of an
	// orderly close, and a reset can overtake the message. So: send our
	// FIN, read and drop what the client sends until it closes too, then
	// close. Shutdown and the deadline cut this short.
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
		defer stop()
		io.Copy(io.Discard, io.LimitReader(conn, drainLimit))
	}
}
