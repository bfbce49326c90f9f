package socketserver

import (
	"context"
	"net"
	"time"
)

// Echo is a handler body that writes back every byte it reads until the
// client leaves: the conversation loop of the note's servers, with the
// message itself as the reply instead of a line the operator types (use it
// as HandlerFunc(Echo)). It reads at most 1024 bytes at a time, the note's
// recv(1024).
//
// When ctx is canceled Echo stops at the next message boundary: what it has
// read is echoed, then it returns instead of waiting for more.
//
// Each connection holds its 1 KiB buffer for as long as it is open; for
// many idle connections, see LowMemoryEcho.
func Echo(ctx context.Context, conn net.Conn) {
	// When ctx ends, a read deadline in the past wakes the blocked Read.
	stop := context.AfterFunc(ctx, func() { wakeRead(conn) })
	defer stop()
	buf := make([]byte, 1024) // recv(1024)
	for {
		n, err := conn.Read(buf) // data = self.request.recv(1024)
		if n > 0 {
			if _, err := conn.Write(buf[:n]); err != nil { // self.request.send(data)
				return
			}
		}
		if err != nil {
			return // io.EOF, a reset, the idle timeout, shutdown
		}
	}
}

// wakeRead makes conn's pending and future reads fail at once, with an
// error matching os.ErrDeadlineExceeded: a read deadline in the past.
func wakeRead(conn net.Conn) { conn.SetReadDeadline(time.Unix(1, 0)) }

// EchoDatagram is a packet handler body that sends data back to the address
// it came from, on the socket it arrived on (use it as
// PacketHandlerFunc(EchoDatagram)): the note's
// self.request[1].sendto(self.request[0], self.client_address).
func EchoDatagram(_ context.Context, pc net.PacketConn, data []byte, addr net.Addr) {
	pc.WriteTo(data, addr) // a lost reply is what UDP promises; nothing to do
}
