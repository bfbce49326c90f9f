// Package socketserver serves many clients at once, one goroutine per TCP
// connection and one per UDP datagram.
//
// It is the Go counterpart of Python's socketserver.ThreadingTCPServer and
// ThreadingUDPServer, shaped like net/http's Server: a Handler interface with
// a HandlerFunc adapter, Serve(net.Listener) and ListenAndServe, a graceful
// Shutdown(ctx) and an immediate Close.
//
// A TCP echo server:
//
//	srv := &socketserver.Server{Handler: socketserver.HandlerFunc(socketserver.Echo)}
//	ln, err := net.Listen("tcp", "127.0.0.1:8080")
//	if err != nil {
//		return err
//	}
//	go srv.Serve(ln)
//	// ...
//	err = srv.Shutdown(ctx) // stop accepting, let handlers finish
//
// Serve's accept loop is the connection loop of chapter 01 and a Handler is
// its conversation loop; the difference is that each conversation now runs
// on its own goroutine, so the accept loop never waits for a client to
// leave. server.go holds both; each of the other files adds one concern:
//
//	track.go    the server's books of listeners and connections; Shutdown, Close
//	accept.go   which failed accepts are retried, and after what delay
//	limit.go    MaxConns: a client over the limit is told BusyMessage
//	idle.go     IdleTimeout: a deadline on every Read
//	echo.go     Echo and EchoDatagram, the handlers of the chapter's servers
//	lowmem.go   LowMemoryEcho, an echo that holds no buffer while a client is idle
//	packet.go   PacketServer, for UDP
//
// A UDP echo server hands every datagram, with the socket to reply on, to a
// PacketHandler on its own goroutine:
//
//	ps := &socketserver.PacketServer{Handler: socketserver.PacketHandlerFunc(socketserver.EchoDatagram)}
//	pc, err := net.ListenPacket("udp", "127.0.0.1:8080")
//	if err != nil {
//		return err
//	}
//	go ps.Serve(pc)
package socketserver
