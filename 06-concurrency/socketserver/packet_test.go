package socketserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// startPacketServer serves s on a fresh loopback UDP socket and returns the
// socket's address. Cleanup closes the server and checks Serve's result.
func startPacketServer(t *testing.T, s *PacketServer) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if err := <-errc; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return pc.LocalAddr().String()
}

// udpClient is an unconnected UDP socket with a deadline on every read.
func udpClient(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if err := pc.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	return pc
}

func sendTo(t *testing.T, pc net.PacketConn, msg, addr string) {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WriteTo([]byte(msg), ua); err != nil {
		t.Fatalf("WriteTo(%q, %s): %v", msg, addr, err)
	}
}

// recvFrom reads one datagram and checks it came from want.
func recvFrom(t *testing.T, pc net.PacketConn, want string) string {
	t.Helper()
	buf := make([]byte, 65535)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	if from.String() != want {
		t.Errorf("reply came from %s, want %s", from, want)
	}
	return string(buf[:n])
}

// C3: the handler gets the datagram's data, the server's socket and the
// sender's address, and replies to that address; two clients each get their
// own reply. An empty datagram is a datagram too (U3) and is echoed.
func TestClaimC3_UDPHandlerRepliesToSender(t *testing.T) {
	var serverAddr string
	sawSocket := make(chan string, 3)
	addr := startPacketServer(t, &PacketServer{Handler: PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
		sawSocket <- pc.LocalAddr().String()
		EchoDatagram(ctx, pc, data, from)
	})})
	serverAddr = addr

	alice, bob := udpClient(t), udpClient(t)
	sendTo(t, alice, "from alice", addr)
	sendTo(t, bob, "from bob", addr)
	if got := recvFrom(t, alice, serverAddr); got != "from alice" {
		t.Errorf("alice got %q, want her own %q", got, "from alice")
	}
	if got := recvFrom(t, bob, serverAddr); got != "from bob" {
		t.Errorf("bob got %q, want his own %q", got, "from bob")
	}
	sendTo(t, alice, "", addr)
	if got := recvFrom(t, alice, serverAddr); got != "" {
		t.Errorf("echo of an empty datagram = %q, want empty", got)
	}
	for range 3 {
		if got := <-sawSocket; got != serverAddr {
			t.Errorf("handler's socket is bound to %s, want the server's %s", got, serverAddr)
		}
	}
}

// C3: each datagram runs on its own goroutine, so a slow handler does not
// hold up the next datagram.
func TestClaimC3_EachDatagramOwnGoroutine(t *testing.T) {
	release := make(chan struct{})
	addr := startPacketServer(t, &PacketServer{Handler: PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
		if string(data) == "slow" {
			<-release
		}
		EchoDatagram(ctx, pc, data, from)
	})})
	slow, quick := udpClient(t), udpClient(t)
	sendTo(t, slow, "slow", addr)
	sendTo(t, quick, "quick", addr)
	if got := recvFrom(t, quick, addr); got != "quick" {
		t.Errorf("quick client got %q while the slow datagram was held, want %q", got, "quick")
	}
	close(release)
	if got := recvFrom(t, slow, addr); got != "slow" {
		t.Errorf("slow client got %q, want %q", got, "slow")
	}
}

// Each handler owns its data: the server's read buffer is reused, but what a
// handler was given never changes under it.
func TestPacketDataIsHandlersOwnCopy(t *testing.T) {
	const n = 200
	got := make(chan []byte, n)
	addr := startPacketServer(t, &PacketServer{Handler: PacketHandlerFunc(func(_ context.Context, _ net.PacketConn, data []byte, _ net.Addr) {
		got <- data
	})})
	c := udpClient(t)
	want := map[string]bool{}
	for i := range n {
		msg := fmt.Sprintf("datagram %03d %s", i, strings.Repeat("x", i))
		want[msg] = true
		sendTo(t, c, msg, addr)
	}
	// Collect first, then look: by now the buffer was overwritten n times.
	var all [][]byte
	timeout := time.After(ioTimeout)
	for range n {
		select {
		case d := <-got:
			all = append(all, d)
		case <-timeout:
			t.Fatalf("only %d of %d datagrams reached the handler", len(all), n)
		}
	}
	for _, d := range all {
		if !want[string(d)] {
			t.Errorf("handler holds %q, which was never sent (data shared a buffer?)", d)
		}
		delete(want, string(d))
	}
}

// Shutdown stops reading but lets running handlers reply on the socket; then
// it closes the socket.
func TestPacketShutdownLetsHandlersReply(t *testing.T) {
	canceled := make(chan struct{})
	received := make(chan struct{})
	srv := &PacketServer{Handler: PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
		close(received)
		<-ctx.Done()
		close(canceled)
		pc.WriteTo(append([]byte("late "), data...), from)
	})}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(pc) }()
	c := udpClient(t)
	sendTo(t, c, "reply", pc.LocalAddr().String())
	<-received

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v, want nil", err)
	}
	<-canceled
	if got := recvFrom(t, c, pc.LocalAddr().String()); got != "late reply" {
		t.Errorf("reply sent during Shutdown = %q, want %q", got, "late reply")
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
	if _, err := pc.WriteTo([]byte("x"), c.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("server socket after Shutdown: WriteTo error = %v, want net.ErrClosed", err)
	}
}

// A panicking packet handler loses only its datagram.
func TestPacketHandlerPanic(t *testing.T) {
	rec := newLogRecorder()
	addr := startPacketServer(t, &PacketServer{Logger: slog.New(rec), Handler: PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
		if bytes.Equal(data, []byte("panic")) {
			panic("bad datagram")
		}
		EchoDatagram(ctx, pc, data, from)
	})})
	c := udpClient(t)
	sendTo(t, c, "panic", addr)
	rec.waitFor(t, "handler panicked; datagram dropped")
	sendTo(t, c, "fine", addr)
	if got := recvFrom(t, c, addr); got != "fine" {
		t.Errorf("after a panic the server answered %q, want %q", got, "fine")
	}
}

func TestPacketListenAndServe(t *testing.T) {
	srv := &PacketServer{Addr: "127.0.0.1:0", Handler: PacketHandlerFunc(EchoDatagram)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	if err := srv.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe() after Close = %v, want ErrServerClosed", err)
	}
}
