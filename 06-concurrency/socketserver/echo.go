package socketserver

import (
	"context"
	"net"
	"time"
)

// Echo is a handler body that writes back every byte it reads until the
// client leaves, the way the notes' servers answer their clients (use it as
// HandlerFunc(Echo)). When ctx is canceled it stops at the next message
// boundary: data already read is echoed, then it returns instead of waiting
// for more.
func Echo(ctx context.Context, conn net.Conn) {
	// Waking the blocked Read with a past deadline is how a handler makes
	// a Read respect ctx.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 1024) // recv(1024), as in the notes
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF, a reset, the idle timeout or shutdown
		}
	}
}

// EchoDatagram is a packet handler body that sends data back to the address
// it came from, on the socket it arrived on (use it as
// PacketHandlerFunc(EchoDatagram)).
func EchoDatagram(_ context.Context, pc net.PacketConn, data []byte, addr net.Addr) {
	pc.WriteTo(data, addr) // a lost reply is what UDP promises; nothing to do
}
