package socketserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// pattern returns n bytes that differ from those of another seed, so an
// echo mixed up with another connection's data (a shared buffer) shows.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*7 + i*13 + i/251)
	}
	return b
}

// echoes writes msg on c from a second goroutine (so a large message can't
// deadlock on full socket buffers) and checks the whole of it comes back.
func echoes(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		werr <- err
	}()
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	if err := <-werr; err != nil {
		t.Fatalf("write %d bytes: %v", len(msg), err)
	}
	if err != nil {
		t.Fatalf("echo of %d bytes: got %d, then %v", len(msg), n, err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d bytes came back changed", len(msg))
	}
}

// Echo reads 1024 bytes at a time, so the rest of a bigger message is
// already queued in the socket when Echo waits again. The netpoller is
// edge-triggered: a wait that doesn't first try to read would never be
// woken for bytes that are already there, and the echo would stop after
// 1024 bytes. Every byte must come back, with and without the idle-timeout
// wrapper.
func TestEchoMessageLargerThanBuffer(t *testing.T) {
	for _, idle := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("idle timeout %v", idle), func(t *testing.T) {
			c := dial(t, startServer(t, &Server{Handler: HandlerFunc(Echo), IdleTimeout: idle}))
			echoes(t, c, pattern(1, 5000))
			echoes(t, c, pattern(2, 1)) // the conversation goes on
			echoes(t, c, pattern(3, 1<<20))
		})
	}
}

// A client that sends part of a message and then closes its side gets that
// part back, then EOF: Echo saw EOF, returned, and the server closed.
func TestEchoEOFAfterPartialMessage(t *testing.T) {
	for _, idle := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("idle timeout %v", idle), func(t *testing.T) {
			log := newLogRecorder()
			c := dial(t, startServer(t, &Server{Handler: HandlerFunc(Echo), IdleTimeout: idle, Logger: slog.New(log)}))
			msg := pattern(4, 1500) // one full buffer and a part of the next
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("after CloseWrite the client read %d bytes, %v; want the %d sent, then EOF", len(got), err, len(msg))
			}
			log.waitFor(t, "connection closed")
		})
	}
}

// The idle timeout still ends Echo's wait for data, which no longer goes
// through the wrapper's Read, and the server still logs why it hung up.
func TestEchoIdleTimeoutDuringWait(t *testing.T) {
	const idle = 200 * time.Millisecond
	log := newLogRecorder()
	c := dial(t, startServer(t, &Server{Handler: HandlerFunc(Echo), IdleTimeout: idle, Logger: slog.New(log)}))
	mustEcho(t, c, "one message, then silence")
	quiet := time.Now()
	if got, err := readAll(c); got != "" || err != nil {
		t.Fatalf("quiet client read %q, %v; want EOF (server hung up)", got, err)
	}
	if waited := time.Since(quiet); waited < idle {
		t.Errorf("server hung up after %v of silence, before the idle timeout of %v", waited, idle)
	}
	log.waitFor(t, "connection idle too long")
}

// Shutdown ends Echo's wait at once, with and without the idle wrapper,
// although the idle timeout is an hour away.
func TestEchoShutdownDuringWait(t *testing.T) {
	for _, idle := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("idle timeout %v", idle), func(t *testing.T) {
			srv := &Server{Handler: HandlerFunc(Echo), IdleTimeout: idle}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			serveErr := make(chan error, 1)
			go func() { serveErr <- srv.Serve(ln) }()
			var conns []net.Conn
			for i := range 5 {
				c := dial(t, ln.Addr().String())
				echoes(t, c, pattern(i, 100*i+1))
				conns = append(conns, c)
			}
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown() = %v, want nil: waiting Echo handlers should return at once", err)
			}
			for i, c := range conns {
				if got, err := readAll(c); got != "" || err != nil {
					t.Errorf("conn %d after Shutdown read %q, %v; want EOF", i, got, err)
				}
			}
			if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve() = %v, want ErrServerClosed", err)
			}
		})
	}
}

// A connection accepted after its Serve context has ended is woken at once
// too: Echo returns without waiting for data.
func TestEchoWokenWhenRegisteredAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sc := newServeContext(ctx)
	cancel()
	sc.wakeAll() // as its AfterFunc does: from now on conns are woken on registering
	server, _ := tcpPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Echo(sc, server)
	}()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Echo with an already canceled serve context is still waiting")
	}
}

// Echo called with a context of its own (not the server's) stops waiting
// when that context is canceled.
func TestEchoOwnContextCanceled(t *testing.T) {
	server, client := tcpPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Echo(ctx, server)
	}()
	mustEcho(t, client, "hello")
	cancel()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Echo is still waiting after its context was canceled")
	}
	// What woke it was a read deadline in the past, and it stays there.
	if _, err := server.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read after Echo returned = %v, want os.ErrDeadlineExceeded", err)
	}
}

// Many connections, one after another and several at once, borrow and
// return the pooled buffers. Each gets exactly its own bytes back (run with
// -race to also catch a buffer used by two connections at once).
func TestEchoManyConnsSharePooledBuffers(t *testing.T) {
	for _, idle := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("idle timeout %v", idle), func(t *testing.T) {
			addr := startServer(t, &Server{Handler: HandlerFunc(Echo), IdleTimeout: idle})
			const workers, inARow = 8, 25
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range inARow {
						seed := w*inARow + i
						c, err := net.DialTimeout("tcp", addr, ioTimeout)
						if err != nil {
							t.Error(err)
							return
						}
						c.SetDeadline(time.Now().Add(ioTimeout))
						for _, n := range []int{1, 700, 1024, 3000} {
							msg := pattern(seed+n, n)
							if _, err := c.Write(msg); err != nil {
								t.Error(err)
								break
							}
							got := make([]byte, n)
							if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
								t.Errorf("conn %d: echo of %d bytes wrong (err %v)", seed, n, err)
								break
							}
						}
						c.Close()
					}
				})
			}
			wg.Wait()
		})
	}
}

// tcpPair returns both ends of a loopback TCP connection. The client end
// has a deadline; the server end has none, so only Echo's own wake-up can
// end a wait on it.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client = dial(t, ln.Addr().String())
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server, client
}

// The handlers' context also ends when Serve returns on its own (here its
// listener was closed behind its back), and that too ends Echo's wait.
func TestEchoWokenWhenServeReturns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := echoServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	c := dial(t, ln.Addr().String())
	mustEcho(t, c, "hello")
	ln.Close()
	if err := <-serveErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve() = %v, want net.ErrClosed", err)
	}
	if got, err := readAll(c); got != "" || err != nil {
		t.Errorf("after Serve returned the client read %q, %v; want EOF", got, err)
	}
	srv.Close()
}
