package socketserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, <-werr, "write %d bytes", len(msg))
	require.NoError(t, err, "echo of %d bytes: got %d", len(msg), n)
	require.Equal(t, msg, got, "echo of %d bytes", len(msg))
}

// Both handlers read 1024 bytes at a time, so the rest of a bigger message
// is already queued in the socket when they wait again. For LowMemoryEcho
// that is the edge-triggered trap (lowmem_unix.go): a wait that doesn't
// first try to read is never woken for bytes that are already there, and
// the echo stops after 1024 bytes. Every byte must come back, with and
// without the idle-timeout wrapper.
func TestEchoMessageLargerThanBuffer(t *testing.T) {
	for _, h := range handlers {
		for _, idle := range []time.Duration{0, time.Minute} {
			t.Run(fmt.Sprintf("%s/idle %v", h.name, idle), func(t *testing.T) {
				c := dial(t, startServer(t, &Server{Handler: h.h, IdleTimeout: idle}))
				echoes(t, c, pattern(1, 5000))
				echoes(t, c, pattern(2, 1)) // the conversation goes on
				echoes(t, c, pattern(3, 1<<20))
			})
		}
	}
}

// A client that sends part of a message and then closes its side gets that
// part back, then EOF: the handler saw EOF, returned, and the server closed.
func TestEchoEOFAfterPartialMessage(t *testing.T) {
	for _, h := range handlers {
		for _, idle := range []time.Duration{0, time.Minute} {
			t.Run(fmt.Sprintf("%s/idle %v", h.name, idle), func(t *testing.T) {
				log := newLogRecorder()
				c := dial(t, startServer(t, &Server{Handler: h.h, IdleTimeout: idle, Logger: slog.New(log)}))
				msg := pattern(4, 1500) // one full buffer and a part of the next
				_, err := c.Write(msg)
				require.NoError(t, err)
				require.NoError(t, c.(*net.TCPConn).CloseWrite())
				got, err := io.ReadAll(c)
				assert.NoError(t, err, "want EOF after the echo")
				assert.Equal(t, msg, got, "what came back after CloseWrite")
				log.waitFor(t, "client left")
			})
		}
	}
}

// The idle timeout ends the handler's wait for data, and the server logs
// why it hung up.
func TestEchoIdleTimeoutDuringWait(t *testing.T) {
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			log := newLogRecorder()
			c := dial(t, startServer(t, &Server{Handler: h.h, IdleTimeout: 200 * time.Millisecond, Logger: slog.New(log)}))
			mustEcho(t, c, "one message, then silence")
			got, err := readAll(c)
			assert.NoError(t, err, "the quiet client reads EOF: the server hung up")
			assert.Empty(t, got)
			log.waitFor(t, "client idle too long; dropped")
		})
	}
}

// Shutdown ends the handlers' wait for data at once, although the idle
// timeout is none or an hour away: Shutdown returns nil, well inside its
// 10 s, and each idle client reads EOF.
func TestEchoShutdownDuringWait(t *testing.T) {
	for _, h := range handlers {
		for _, idle := range []time.Duration{0, time.Hour} {
			t.Run(fmt.Sprintf("%s/idle %v", h.name, idle), func(t *testing.T) {
				srv := &Server{Handler: h.h, IdleTimeout: idle}
				ln := listen(t)
				serveErr := serve(srv, ln)
				var conns []net.Conn
				for i := range 5 {
					c := dial(t, ln.Addr().String())
					echoes(t, c, pattern(i, 100*i+1))
					conns = append(conns, c)
				}
				assert.NoError(t, shutdown(srv), "Shutdown: the waiting handlers return at once")
				for i, c := range conns {
					got, err := readAll(c)
					assert.NoError(t, err, "conn %d after Shutdown", i)
					assert.Empty(t, got, "conn %d after Shutdown", i)
				}
				assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
			})
		}
	}
}

// The handlers' context also ends when Serve returns on its own (here its
// listener was closed behind its back), and that too ends the wait.
func TestEchoWokenWhenServeReturns(t *testing.T) {
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			srv := &Server{Handler: h.h}
			ln := listen(t)
			serveErr := serve(srv, ln)
			c := dial(t, ln.Addr().String())
			mustEcho(t, c, "hello")
			ln.Close()
			assert.ErrorIs(t, <-serveErr, net.ErrClosed, "Serve")
			got, err := readAll(c)
			assert.NoError(t, err, "after Serve returned the client reads EOF")
			assert.Empty(t, got)
			srv.Close()
		})
	}
}

// A handler called with a context of its own (not a server's) stops
// waiting when that context is canceled; what woke it was a read deadline
// in the past, and it stays there.
func TestEchoOwnContextCanceled(t *testing.T) {
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			server, client := tcpPair(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.h.ServeConn(ctx, server)
			}()
			mustEcho(t, client, "hello")
			cancel()
			select {
			case <-done:
			case <-time.After(ioTimeout):
				require.FailNow(t, "the handler is still waiting after its context was canceled")
			}
			_, err := server.Read(make([]byte, 1))
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "Read after the handler returned")
		})
	}
}

// Many connections, one after another and several at once, each get
// exactly their own bytes back (with -race this also catches a pooled
// buffer used by two connections at once).
func TestEchoManyConnsOwnBytes(t *testing.T) {
	for _, h := range handlers {
		for _, idle := range []time.Duration{0, time.Minute} {
			t.Run(fmt.Sprintf("%s/idle %v", h.name, idle), func(t *testing.T) {
				addr := startServer(t, &Server{Handler: h.h, IdleTimeout: idle})
				const workers, inARow = 8, 25
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for i := range inARow {
							if !echoSizes(t, addr, w*inARow+i) {
								return
							}
						}
					})
				}
				wg.Wait()
			})
		}
	}
}

// echoSizes opens a connection to addr and echoes messages of 1, 700, 1024
// and 3000 bytes on it, each made from seed. It may run on a goroutine of
// its own, so it reports with assert and returns whether all went well.
func echoSizes(t *testing.T, addr string, seed int) bool {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if !assert.NoError(t, err) {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	for _, n := range []int{1, 700, 1024, 3000} {
		msg := pattern(seed+n, n)
		_, err := c.Write(msg)
		if !assert.NoError(t, err, "conn %d: write %d bytes", seed, n) {
			return false
		}
		got := make([]byte, n)
		_, err = io.ReadFull(c, got)
		if !assert.NoError(t, err, "conn %d: echo of %d bytes", seed, n) || !assert.Equal(t, msg, got, "conn %d: echo of %d bytes", seed, n) {
			return false
		}
	}
	return true
}

// tcpPair returns both ends of a loopback TCP connection. The client end
// has a deadline; the server end has none, so only the handler's own
// wake-up can end a wait on it.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln := listen(t)
	defer ln.Close()
	client = dial(t, ln.Addr().String())
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout)))
	server, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { server.Close() })
	return server, client
}
