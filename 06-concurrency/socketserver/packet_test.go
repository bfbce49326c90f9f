package socketserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startPacketServer serves s on a fresh loopback UDP socket and returns the
// socket's address. Cleanup closes the server and checks Serve's result.
func startPacketServer(t *testing.T, s *PacketServer) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	t.Cleanup(func() {
		assert.NoError(t, s.Close())
		assert.ErrorIs(t, <-errc, ErrServerClosed, "Serve")
	})
	return pc.LocalAddr().String()
}

// udpClient is an unconnected UDP socket with a deadline on every read.
func udpClient(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	require.NoError(t, pc.SetDeadline(time.Now().Add(ioTimeout)))
	return pc
}

func sendTo(t *testing.T, pc net.PacketConn, msg, addr string) {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	_, err = pc.WriteTo([]byte(msg), ua)
	require.NoError(t, err, "WriteTo(%q, %s)", msg, addr)
}

// recvFrom reads one datagram and checks it came from want.
func recvFrom(t *testing.T, pc net.PacketConn, want string) string {
	t.Helper()
	buf := make([]byte, 65535)
	n, from, err := pc.ReadFrom(buf)
	require.NoError(t, err, "ReadFrom")
	assert.Equal(t, want, from.String(), "the reply's source address")
	return string(buf[:n])
}

// C3: the handler gets the datagram's data, the server's socket and the
// sender's address, and replies to that address; two clients each get their
// own reply. An empty datagram is a datagram too (U3) and is echoed.
func TestClaimC3_UDPHandlerRepliesToSender(t *testing.T) {
	sawSocket := make(chan string, 3)
	addr := startPacketServer(t, &PacketServer{Handler: PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
		sawSocket <- pc.LocalAddr().String()
		EchoDatagram(ctx, pc, data, from)
	})})

	alice, bob := udpClient(t), udpClient(t)
	sendTo(t, alice, "from alice", addr)
	sendTo(t, bob, "from bob", addr)
	assert.Equal(t, "from alice", recvFrom(t, alice, addr), "alice's reply")
	assert.Equal(t, "from bob", recvFrom(t, bob, addr), "bob's reply")
	sendTo(t, alice, "", addr)
	assert.Empty(t, recvFrom(t, alice, addr), "the echo of an empty datagram")
	for range 3 {
		assert.Equal(t, addr, <-sawSocket, "the address of the handler's socket")
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
	assert.Equal(t, "quick", recvFrom(t, quick, addr), "the quick reply while the slow datagram is held")
	close(release)
	assert.Equal(t, "slow", recvFrom(t, slow, addr), "the slow reply")
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
	var want []string
	for i := range n {
		msg := fmt.Sprintf("datagram %03d %s", i, strings.Repeat("x", i))
		want = append(want, msg)
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
			require.FailNow(t, "datagrams lost", "only %d of %d datagrams reached the handler", len(all), n)
		}
	}
	var held []string
	for _, d := range all {
		held = append(held, string(d))
	}
	assert.ElementsMatch(t, want, held, "what the handlers hold after all have run")
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
	require.NoError(t, err)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(pc) }()
	c := udpClient(t)
	sendTo(t, c, "reply", pc.LocalAddr().String())
	<-received

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	assert.NoError(t, srv.Shutdown(ctx), "Shutdown")
	<-canceled
	assert.Equal(t, "late reply", recvFrom(t, c, pc.LocalAddr().String()), "the reply sent during Shutdown")
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
	_, err = pc.WriteTo([]byte("x"), c.LocalAddr())
	assert.ErrorIs(t, err, net.ErrClosed, "the server's socket after Shutdown")
}

// A panicking packet handler loses only its datagram.
func TestPacketHandlerPanic(t *testing.T) {
	rec := newLogRecorder()
	addr := startPacketServer(t, &PacketServer{Logger: slog.New(rec), Handler: PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
		if string(data) == "panic" {
			panic("bad datagram")
		}
		EchoDatagram(ctx, pc, data, from)
	})})
	c := udpClient(t)
	sendTo(t, c, "panic", addr)
	rec.waitFor(t, "handler panicked; datagram dropped")
	sendTo(t, c, "fine", addr)
	assert.Equal(t, "fine", recvFrom(t, c, addr), "the answer after a panic")
}

func TestPacketListenAndServe(t *testing.T) {
	srv := &PacketServer{Addr: "127.0.0.1:0", Handler: PacketHandlerFunc(EchoDatagram)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	assert.NoError(t, srv.Close())
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "ListenAndServe after Close")
}
