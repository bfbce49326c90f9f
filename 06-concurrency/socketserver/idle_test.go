package socketserver

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipeListener hands out the server ends of net.Pipe connections, so a
// server can run inside a synctest bubble, where the clock is fake and
// loopback sockets are not allowed.
type pipeListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new connection accepted by the server.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- server
	return client
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// serveInBubble starts s on a pipe listener and returns it, with a function
// that closes the server and waits for Serve.
func serveInBubble(t *testing.T, s *Server) (*pipeListener, func()) {
	ln := newPipeListener()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	return ln, func() {
		s.Close()
		assert.ErrorIs(t, <-errc, ErrServerClosed, "Serve")
	}
}

// A client that keeps talking is never dropped, however long it stays; one
// that goes quiet is dropped exactly IdleTimeout after its last message.
// (Fake clock: five minutes pass in no real time.)
func TestIdleTimeoutDropsQuietClient(t *testing.T) {
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const idle = 5 * time.Minute
				ln, stop := serveInBubble(t, &Server{Handler: h.h, IdleTimeout: idle})
				defer stop()

				c := ln.dial()
				defer c.Close()
				buf := make([]byte, 4)
				for range 5 { // 20 minutes in all, never 5 quiet ones
					time.Sleep(4 * time.Minute)
					_, err := c.Write([]byte("ping"))
					require.NoError(t, err, "write after 4 quiet minutes")
					_, err = io.ReadFull(c, buf)
					require.NoError(t, err, "echo after 4 quiet minutes")
					require.Equal(t, "ping", string(buf))
				}

				quietSince := time.Now()
				n, err := c.Read(buf)
				assert.Equal(t, 0, n)
				assert.ErrorIs(t, err, io.EOF, "the server hangs up on the quiet client")
				assert.Equal(t, idle, time.Since(quietSince), "silence before the server hung up")
			})
		})
	}
}

// The handler's Read fails with os.ErrDeadlineExceeded; a deadline the
// handler sets itself still works, and the earlier of the two wins.
func TestIdleTimeoutAndHandlerDeadlines(t *testing.T) {
	const idle = 5 * time.Minute
	tests := []struct {
		name string
		own  time.Duration // the handler's own read deadline; 0 means none
		want time.Duration
	}{
		{"idle timeout alone", 0, idle},
		{"handler deadline earlier", time.Minute, time.Minute},
		{"handler deadline later", 10 * time.Minute, idle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				type result struct {
					err     error
					elapsed time.Duration
				}
				res := make(chan result, 1)
				ln, stop := serveInBubble(t, &Server{IdleTimeout: idle, Handler: HandlerFunc(func(_ context.Context, conn net.Conn) {
					start := time.Now()
					if tt.own > 0 {
						if err := conn.SetReadDeadline(start.Add(tt.own)); err != nil {
							res <- result{err: err}
							return
						}
					}
					_, err := conn.Read(make([]byte, 1))
					res <- result{err, time.Since(start)}
				})})
				defer stop()
				c := ln.dial()
				defer c.Close()

				r := <-res
				assert.ErrorIs(t, r.err, os.ErrDeadlineExceeded, "the handler's Read")
				assert.Equal(t, tt.want, r.elapsed, "time until the handler's Read failed")
			})
		})
	}
}

// A handler can wake its own blocked Read with a past deadline (both echo
// handlers do this on Shutdown) even while the idle timeout is in force.
func TestIdleConnPastDeadlineWakesRead(t *testing.T) {
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				ln, stop := serveInBubble(t, &Server{IdleTimeout: time.Hour, Handler: HandlerFunc(func(_ context.Context, conn net.Conn) {
					defer close(done)
					h.h.ServeConn(ctx, conn)
				})})
				defer stop()
				c := ln.dial()
				defer c.Close()

				time.Sleep(time.Minute)
				start := time.Now()
				cancel()
				<-done
				assert.Zero(t, time.Since(start), "time from cancel to the handler's return")
			})
		})
	}
}
