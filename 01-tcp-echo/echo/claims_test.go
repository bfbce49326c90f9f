package echo_test

// Tests for the claims T1–T12 of chapter 01 that hold on every system. The
// Linux-only parts (raw sockets, kernel counters) are in claims_linux_test.go.

import (
	"bytes"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// T1: one address (IP + port) names one server program.
func TestClaimT1_AddressNamesOneServer(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()

	// A second program cannot take the same address while the first holds it.
	ln2, err := net.Listen("tcp", addr)
	if err == nil {
		ln2.Close()
		t.Fatalf("second Listen(%q) succeeded, want address already in use", addr)
	}
	assert.ErrorIs(t, err, syscall.EADDRINUSE, "second Listen(%q)", addr)

	// A client that dials the address reaches exactly that listener.
	client := dial(t, addr)
	server := accept(t, ln)
	assert.Equal(t, addr, client.RemoteAddr().String(), "client's remote address")
	assert.Equal(t, addr, server.LocalAddr().String(), "accepted connection's local address")
	// The connection itself is named by both ends: the client got its own port.
	assert.Equal(t, client.LocalAddr().String(), server.RemoteAddr().String())
}

// T2: listen, then accept blocks until a client connects; the client
// connects; they send and receive; they close.
func TestClaimT2_ServerAndClientFlow(t *testing.T) {
	// net.Listen is socket + bind + listen in one call.
	ln := listen(t).(*net.TCPListener)

	// accept blocks while no client has connected: with a deadline it gives up.
	require.NoError(t, ln.SetDeadline(time.Now().Add(short)))
	_, err := ln.Accept()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "Accept with no client")

	// net.Dial is socket + connect. Now accept returns.
	client := dial(t, ln.Addr().String())
	server := accept(t, ln)

	_, err = client.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 1024)
	n, err := server.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf[:n]), "server received")

	_, err = server.Write([]byte("pong"))
	require.NoError(t, err)
	n, err = client.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "pong", string(buf[:n]), "client received")

	require.NoError(t, client.Close())
	n, err = server.Read(buf)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF, "server Read after client Close")
}

// T3: recv blocks while the receive buffer is empty.
func TestClaimT3_RecvBlocksWhileBufferEmpty(t *testing.T) {
	client, server := pair(t)

	type result struct {
		data string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		buf := make([]byte, 1024)
		n, err := server.Read(buf) // deadline: timeout, set by accept
		done <- result{string(buf[:n]), err}
	}()

	select {
	case r := <-done:
		t.Fatalf("Read returned %q, %v with nothing sent; want it to block", r.data, r.err)
	case <-time.After(short):
		// Still blocked, as claimed.
	}

	_, err := client.Write([]byte("wake up"))
	require.NoError(t, err)
	select {
	case r := <-done:
		require.NoError(t, r.err)
		assert.Equal(t, "wake up", r.data)
	case <-time.After(timeout):
		t.Fatal("Read still blocked after data arrived")
	}
}

// T4: an empty send sends nothing, however many times it is repeated.
func TestClaimT4_EmptySendSendsNothing(t *testing.T) {
	client, server := pair(t)

	for i := range 1000 {
		n, err := client.Write([]byte{})
		require.NoError(t, err, "empty Write #%d", i)
		require.Equal(t, 0, n, "empty Write #%d", i)
	}
	readsNothing(t, server)

	// One real byte arrives alone: the 1000 empty sends added nothing to it.
	_, err := client.Write([]byte("x"))
	require.NoError(t, err)
	buf := make([]byte, 1024)
	n, err := server.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "x", string(buf[:n]))
}

// T4: a client that sends empty input and then waits in recv waits forever,
// even against a server that answers every message.
func TestClaimT4_ClientWaitsAfterEmptySend(t *testing.T) {
	logger, logs := newLogRecorder()
	addr := startServer(t, &echo.Server{Logger: logger})
	conn := dial(t, addr)
	logs.wait(t, "client connected")

	_, err := conn.Write(nil)
	require.NoError(t, err)
	readsNothing(t, conn) // "forever", cut short by a deadline

	// The server got no message at all, so it had nothing to answer.
	assert.Equal(t, "hi", roundTrip(t, conn, "hi"))
	e := logs.wait(t, "message")
	assert.Equal(t, "hi", e.attrs["text"], "first message the server saw")
}

// T4: so our client skips blank lines instead of sending them.
func TestClaimT4_ClientSkipsBlankLines(t *testing.T) {
	logger, logs := newLogRecorder()
	addr := startServer(t, &echo.Server{Logger: logger})
	conn := dial(t, addr)

	var out bytes.Buffer
	err := echo.Chat(conn, strings.NewReader("\n   \nhello\n\t\n"), &out, "")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", out.String())
	require.NoError(t, conn.Close())
	var msgs []string
	for _, e := range logs.until(t, "client left") {
		if e.msg == "message" {
			msgs = append(msgs, e.attrs["text"])
		}
	}
	assert.Equal(t, []string{"hello\n"}, msgs, "messages the server received")
}

// T5: connecting to a port with no listener is refused.
func TestClaimT5_ConnectWithoutServerIsRefused(t *testing.T) {
	addr := freeAddr(t)

	_, err := net.DialTimeout("tcp", addr, timeout)
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "Dial(%q) with no server", addr)

	_, err = echo.Dial(t.Context(), addr)
	var ce *echo.ConnectError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "no server at "+addr+" (connection refused): is the server running?", err.Error())
}

// freeAddr returns a loopback address that nothing listens on: it listens on
// a free port and closes the listener again.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// T6: when the peer closes, recv stops blocking: io.EOF, and again io.EOF at
// once on every later call (the busy loop the note warns about).
func TestClaimT6_OrderlyCloseGivesEOF(t *testing.T) {
	client, server := pair(t)
	require.NoError(t, client.Close())

	buf := make([]byte, 1024)
	for i := range 3 {
		n, err := server.Read(buf)
		assert.Equal(t, 0, n, "Read #%d after peer close", i)
		assert.ErrorIs(t, err, io.EOF, "Read #%d after peer close", i)
	}
}

// T6: an abortive close (RST, here with SO_LINGER 0) gives "connection reset
// by peer" instead of EOF.
func TestClaimT6_ResetGivesConnectionReset(t *testing.T) {
	client, server := pair(t)
	require.NoError(t, client.SetLinger(0))
	require.NoError(t, client.Close())

	buf := make([]byte, 1024)
	n, err := server.Read(buf)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, syscall.ECONNRESET, "Read after peer reset")
	assert.Contains(t, err.Error(), "connection reset by peer")
}

// T6 and T7: the server leaves the conversation loop however the client
// leaves, and goes on serving the next client.
func TestClaimT6_ServerSurvivesClientLeaving(t *testing.T) {
	tests := []struct {
		name   string
		leave  func(*net.TCPConn) error
		reason string
	}{
		{"close", (*net.TCPConn).Close, "closed by client"},
		{"reset", func(c *net.TCPConn) error {
			if err := c.SetLinger(0); err != nil {
				return err
			}
			return c.Close()
		}, "reset by client"},
		{"half-close", (*net.TCPConn).CloseWrite, "closed by client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogRecorder()
			addr := startServer(t, &echo.Server{Logger: logger})

			first := dial(t, addr)
			assert.Equal(t, "one", roundTrip(t, first, "one"))
			require.NoError(t, tt.leave(first))
			e := logs.wait(t, "client left")
			assert.Equal(t, tt.reason, e.attrs["reason"], "disconnect reason after %s", tt.name)

			second := dial(t, addr)
			assert.Equal(t, "two", roundTrip(t, second, "two"), "next client after a %s", tt.name)
		})
	}
}

// T7: the connection loop serves client after client; each conversation
// loop lasts as long as its client stays.
func TestClaimT7_ConnectionLoopServesClientsInTurn(t *testing.T) {
	logger, logs := newLogRecorder()
	addr := startServer(t, &echo.Server{Logger: logger})

	seen := map[string]bool{}
	for i := range 3 {
		conn := dial(t, addr)
		for _, msg := range []string{"first", "second", "third"} {
			assert.Equal(t, msg, roundTrip(t, conn, msg), "client %d", i)
		}
		require.NoError(t, conn.Close())
		e := logs.wait(t, "client left")
		seen[e.attrs["remote"]] = true
	}
	assert.Len(t, seen, 3, "distinct clients served")
}

// leaveTimeWait makes a connection whose server side closes first, so the
// server's end passes into TIME_WAIT on the listening port, and closes the
// listener. It returns the port's address.
func leaveTimeWait(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	addr := ln.Addr().String()
	client := dial(t, addr)
	server := accept(t, ln)
	require.NoError(t, server.Close()) // the active close: this end gets TIME_WAIT
	buf := make([]byte, 1)
	_, err := client.Read(buf)
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, client.Close())
	require.NoError(t, ln.Close())
	return addr
}

// T8: Go's listeners set SO_REUSEADDR, so a restarted server binds its port
// at once even while an old connection on it sits in TIME_WAIT. The socket
// without the option is shown in claims_linux_test.go.
func TestClaimT8_GoListenerRebindsAtOnce(t *testing.T) {
	addr := leaveTimeWait(t)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "Listen(%q) again right after a restart", addr)
	require.NoError(t, ln.Close())
}

// T9: a client's connect succeeds before the server calls accept; the
// kernel finishes the handshake and queues the connection.
func TestClaimT9_ConnectSucceedsBeforeAccept(t *testing.T) {
	ln := listen(t)
	msgs := []string{"a", "b", "c"}
	for _, msg := range msgs {
		conn := dial(t, ln.Addr().String()) // no Accept has run yet
		_, err := conn.Write([]byte(msg))
		require.NoError(t, err, "Write(%q) before any Accept", msg)
	}
	// Accept hands them out in arrival order, data already waiting.
	for _, want := range msgs {
		conn := accept(t, ln)
		buf := make([]byte, 16)
		n, err := conn.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, want, string(buf[:n]))
	}
}

// T10: a send returns once the data is in the local send buffer, before the
// peer reads anything.
func TestClaimT10_SendReturnsBeforePeerReads(t *testing.T) {
	client, server := pair(t)
	msg := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB

	n, err := client.Write(msg) // the server has not called Read
	require.NoError(t, err)
	assert.Equal(t, len(msg), n)

	got := make([]byte, len(msg))
	_, err = io.ReadFull(server, got)
	require.NoError(t, err)
	assert.Equal(t, msg, got, "what the server read back")
}

// T10: a send blocks only when the buffers are full: with a peer that never
// reads, a large write stops part way and waits.
func TestClaimT10_SendBlocksWhenBuffersFull(t *testing.T) {
	client, server := pair(t)
	require.NoError(t, client.SetWriteBuffer(64<<10))
	require.NoError(t, server.SetReadBuffer(64<<10))

	msg := bytes.Repeat([]byte{'z'}, 16<<20) // far more than both buffers
	require.NoError(t, client.SetWriteDeadline(time.Now().Add(short)))
	n, err := client.Write(msg)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "Write of 16 MiB to a peer that never reads")
	assert.Greater(t, n, 0, "bytes accepted into the buffers")
	assert.Less(t, n, len(msg), "bytes accepted into the buffers")
	t.Logf("the buffers took %d bytes before Write blocked", n)

	// Everything the blocked Write took is waiting in the buffers, intact.
	got := make([]byte, n)
	_, err = io.ReadFull(server, got)
	require.NoError(t, err)
	assert.Equal(t, msg[:n], got, "what the blocked Write left in the buffers")
	readsNothing(t, server)
}

// T11: recv(1024) returns at most 1024 bytes per call.
func TestClaimT11_RecvReturnsAtMost1024Bytes(t *testing.T) {
	msg := bytes.Repeat([]byte("abcdefghij"), 500) // 5000 bytes

	t.Run("conn", func(t *testing.T) {
		client, server := pair(t)
		_, err := client.Write(msg)
		require.NoError(t, err)
		var got []byte
		reads := 0
		buf := make([]byte, 1024)
		for len(got) < len(msg) {
			n, err := server.Read(buf)
			require.NoError(t, err)
			require.LessOrEqual(t, n, 1024, "Read #%d", reads)
			got = append(got, buf[:n]...)
			reads++
		}
		assert.Equal(t, msg, got, "the 5000 bytes, read back")
		assert.GreaterOrEqual(t, reads, 5, "reads needed for 5000 bytes")
	})

	t.Run("server", func(t *testing.T) {
		logger, logs := newLogRecorder()
		addr := startServer(t, &echo.Server{Logger: logger})
		conn := dial(t, addr)
		assert.Equal(t, string(msg), roundTrip(t, conn, string(msg)))
		total := 0
		for total < len(msg) {
			e := logs.wait(t, "message")
			size := len(e.attrs["text"])
			assert.LessOrEqual(t, size, echo.BufSize, "one message logged by the server")
			total += size
		}
		assert.Equal(t, len(msg), total)
	})
}

// T12: the server serves one client at a time: a second client connects
// (it waits in the accept queue) but gets no reply until the first leaves.
func TestClaimT12_SecondClientWaitsForFirst(t *testing.T) {
	logger, logs := newLogRecorder()
	addr := startServer(t, &echo.Server{Logger: logger})

	first := dial(t, addr)
	assert.Equal(t, "first", roundTrip(t, first, "first"))

	second := dial(t, addr) // connect succeeds: the kernel queues it
	_, err := second.Write([]byte("second"))
	require.NoError(t, err)
	readsNothing(t, second)
	assert.Equal(t, "still first", roundTrip(t, first, "still first"))

	require.NoError(t, first.Close())
	logs.wait(t, "client left")
	buf := make([]byte, len("second"))
	_, err = io.ReadFull(second, buf)
	require.NoError(t, err, "second client's reply after the first left")
	assert.Equal(t, "second", string(buf))
}

func TestServeAfterCloseReturnsErrServerClosed(t *testing.T) {
	var s echo.Server
	require.NoError(t, s.Close())
	ln := listen(t)
	assert.ErrorIs(t, s.Serve(ln), echo.ErrServerClosed)
	assert.ErrorIs(t, s.ListenAndServe(), echo.ErrServerClosed)
	// Serve closed the listener it was given.
	_, err := ln.Accept()
	assert.ErrorIs(t, err, net.ErrClosed)
}

func TestCloseEndsCurrentConversation(t *testing.T) {
	logger, logs := newLogRecorder()
	s := &echo.Server{Logger: logger}
	ln := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()

	conn := dial(t, ln.Addr().String())
	assert.Equal(t, "hi", roundTrip(t, conn, "hi"))
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, echo.ErrServerClosed)
	case <-time.After(timeout):
		t.Fatal("Serve did not return after Close")
	}
	e := logs.wait(t, "client left")
	assert.Equal(t, "server closing", e.attrs["reason"])
	_, err := conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "client Read after server Close")
}

func TestServerLogsConnectionMessageDisconnect(t *testing.T) {
	logger, logs := newLogRecorder()
	addr := startServer(t, &echo.Server{Logger: logger})
	conn := dial(t, addr)
	roundTrip(t, conn, "hello")
	require.NoError(t, conn.Close())

	remote := conn.LocalAddr().String()
	var got []string
	for _, msg := range []string{"listening", "client connected", "message", "client left"} {
		e := logs.wait(t, msg)
		got = append(got, e.msg)
		if msg != "listening" {
			assert.Equal(t, remote, e.attrs["remote"], "remote of %q record", msg)
		}
		if msg == "message" {
			assert.Equal(t, "hello", e.attrs["text"])
			assert.Equal(t, "5", e.attrs["bytes"])
		}
	}
	assert.Equal(t, []string{"listening", "client connected", "message", "client left"}, got)
}

func TestServerNilLoggerIsQuiet(t *testing.T) {
	addr := startServer(t, &echo.Server{})
	conn := dial(t, addr)
	assert.Equal(t, "quiet", roundTrip(t, conn, "quiet"))
}

func TestServerEchoesArbitraryBytes(t *testing.T) {
	addr := startServer(t, &echo.Server{})
	conn := dial(t, addr)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	assert.Equal(t, string(all), roundTrip(t, conn, string(all)))
	// The server survived: it still answers.
	assert.Equal(t, "ok", roundTrip(t, conn, "ok"))
}
