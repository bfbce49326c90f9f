package echo

import (
	"net"
	"time"
)

// awaitMessage gives the client IdleTimeout from now to send its next
// message; after that, the read waiting for it fails with
// os.ErrDeadlineExceeded and the server drops the client. The time the
// server spends on a reply (an operator typing it) does not count.
func (s *Server) awaitMessage(conn net.Conn) {
	if s.IdleTimeout > 0 {
		// An error means the connection is closed; the read will say so.
		conn.SetReadDeadline(time.Now().Add(s.IdleTimeout))
	}
}
