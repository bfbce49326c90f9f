package socketserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A connection over MaxConns is told BusyMessage and closed, not left
// waiting in the backlog; once a slot frees, the next client is served.
func TestMaxConnsTellsAndClosesExtra(t *testing.T) {
	rec := newLogRecorder()
	srv := &Server{Handler: HandlerFunc(Echo), MaxConns: 2, Logger: slog.New(rec)}
	addr := startServer(t, srv)

	a, b := dial(t, addr), dial(t, addr)
	mustEcho(t, a, "a")
	mustEcho(t, b, "b")

	got, err := readAll(dial(t, addr))
	assert.NoError(t, err, "the client over the limit reads EOF after the message")
	assert.Equal(t, "server busy: too many clients, try again later\n", got)
	assert.Equal(t, BusyMessage, got)
	mustEcho(t, a, "a still served")

	a.Close()
	rec.waitFor(t, "client left") // logged after the slot is freed
	mustEcho(t, dial(t, addr), "took a's place")
}

// A client over the limit that has already sent something still reads the
// whole message and then an orderly EOF, not a reset: the server reads and
// drops what the client sent before it closes.
func TestMaxConnsClientThatSpokeFirstGetsTheMessage(t *testing.T) {
	addr := startServer(t, &Server{Handler: HandlerFunc(Echo), MaxConns: 1})
	mustEcho(t, dial(t, addr), "the one client served")

	c := dial(t, addr)
	_, err := io.WriteString(c, "hello from a client over the limit\n")
	require.NoError(t, err)
	got, err := readAll(c)
	assert.NoError(t, err, "read after the message: want EOF, not a reset")
	assert.Equal(t, BusyMessage, got)
}

// OverLimit replaces the default message, e.g. with a protocol's own reply.
func TestMaxConnsCustomOverLimit(t *testing.T) {
	srv := &Server{
		Handler:  HandlerFunc(Echo),
		MaxConns: 1,
		OverLimit: HandlerFunc(func(_ context.Context, conn net.Conn) {
			io.WriteString(conn, "421 Too many users, try later.\r\n")
		}),
	}
	addr := startServer(t, srv)
	mustEcho(t, dial(t, addr), "only one")
	got, err := readAll(dial(t, addr))
	assert.NoError(t, err)
	assert.Equal(t, "421 Too many users, try later.\r\n", got)
}

// Shutdown does not wait for a refused client that never leaves: it cuts
// the wait for that client's EOF short. (Here that wait would otherwise
// last an hour, and Shutdown would fail when its own 10 s ran out.)
func TestShutdownEndsWaitForRefusedClient(t *testing.T) {
	defer func(d time.Duration) { overLimitTimeout = d }(overLimitTimeout)
	overLimitTimeout = time.Hour
	srv := &Server{Handler: HandlerFunc(Echo), MaxConns: 1}
	ln := listen(t)
	serveErr := serve(srv, ln)
	mustEcho(t, dial(t, ln.Addr().String()), "served")
	refused := dial(t, ln.Addr().String())
	buf := make([]byte, len(BusyMessage))
	_, err := io.ReadFull(refused, buf) // told; it now stays connected
	require.NoError(t, err)
	assert.NoError(t, shutdown(srv), "Shutdown")
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
}
