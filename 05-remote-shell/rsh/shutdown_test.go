package rsh_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

// runAsync runs command through c on a goroutine.
func runAsync(c *rsh.Client, command string) <-chan result {
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		rep, err := c.Run(command, &stdout, &stderr)
		done <- result{rep, stdout.String(), stderr.String() + errString(err)}
	}()
	return done
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return "error: " + err.Error()
}

// await waits for a result of runAsync.
func await(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(ioTimeout):
		t.Fatalf("no reply within %v", ioTimeout)
		return result{}
	}
}

// startRunning starts a server with a log and runs command through a
// client, returning once the server runs it.
func startRunning(t *testing.T, command string) (*rsh.Server, *syncBuffer, <-chan result) {
	t.Helper()
	logs := &syncBuffer{}
	srv := &rsh.Server{Logger: newLogger(logs)}
	c := rsh.NewClient(dial(t, startServer(t, srv)))
	done := runAsync(c, command)
	logs.waitFor(t, "msg=running")
	return srv, logs, done
}

func TestShutdownKillsCommandsThatOutliveTheGrace(t *testing.T) {
	srv, _, done := startRunning(t, "sleep 600")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	got := await(t, done)
	assert.Equal(t, rsh.KilledByShutdown, got.rep.Killed)
	assert.Equal(t, "error: "+rsh.ErrShutDown.Error(), got.stderr, "Run's error")
}

func TestShutdownHangsUpOnIdleClientsAndStopsListening(t *testing.T) {
	var logs syncBuffer
	srv := &rsh.Server{Logger: newLogger(&logs)}
	addr := startServer(t, srv)
	idle := dial(t, addr)
	logs.waitFor(t, `msg="client connected"`)

	require.NoError(t, srv.Shutdown(context.Background()))
	n, err := idle.Read(make([]byte, 1))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF, "an idle client is hung up on")
	_, err = net.DialTimeout("tcp", addr, ioTimeout)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "dial after Shutdown")
}

func TestCloseStopsAtOnce(t *testing.T) {
	srv, _, done := startRunning(t, "sleep 600")
	require.NoError(t, srv.Close())
	assert.Equal(t, "error: connection dropped by the server", await(t, done).stderr)
}

func TestIdleTimeoutDropsASilentClient(t *testing.T) {
	var logs syncBuffer
	addr := startServer(t, &rsh.Server{IdleTimeout: 50 * time.Millisecond, Logger: newLogger(&logs)})
	conn := dial(t, addr) // sends nothing
	_, err := conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the server hangs up before the test's own deadline")
	logs.waitFor(t, `msg="client idle; closing connection"`)

	// A client that keeps sending commands is not idle.
	c := rsh.NewClient(dial(t, addr))
	for range 3 {
		assert.Equal(t, "ok\n", run(t, c, "echo ok").stdout)
	}
}

func TestMaxConns(t *testing.T) {
	var logs syncBuffer
	addr := startServer(t, &rsh.Server{MaxConns: 1, Logger: newLogger(&logs)})
	first := dial(t, addr)
	c := rsh.NewClient(first)
	assert.Equal(t, "first\n", run(t, c, "echo first").stdout)

	second := rsh.NewClient(dial(t, addr))
	rep, err := second.Run("echo second", io.Discard, io.Discard)
	assert.ErrorIs(t, err, rsh.ErrServerBusy)
	assert.Equal(t, rsh.ErrServerBusy.Error(), rep.Error)

	// Once the first client has left, the place is free again.
	first.Close()
	logs.waitFor(t, `msg="client left"`)
	third := rsh.NewClient(dial(t, addr))
	assert.Equal(t, "third\n", run(t, third, "echo third").stdout)
}

// flakyListener fails its first n Accept calls with err.
type flakyListener struct {
	net.Listener
	n   int
	err error
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.n > 0 { // only Serve's goroutine calls Accept
		l.n--
		return nil, l.err
	}
	return l.Listener.Accept()
}

// TestAcceptRetry checks the accept-retry rule: a temporary failure
// (EMFILE here) is logged and retried, and the server goes on serving; any
// other failure ends Serve with that error.
func TestAcceptRetry(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	ln, err := listenLoopback()
	require.NoError(t, err)
	var logs syncBuffer
	srv := &rsh.Server{Logger: newLogger(&logs), TempDir: t.TempDir()}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(&flakyListener{Listener: ln, n: 2, err: emfile}) }()
	c := rsh.NewClient(dial(t, ln.Addr().String()))
	assert.Equal(t, "served\n", run(t, c, "echo served").stdout)
	logs.waitFor(t, `msg="accept failed; retrying" err="accept tcp: accept4: too many open files" delay=5ms`)
	logs.waitFor(t, `msg="accept failed; retrying" err="accept tcp: accept4: too many open files" delay=10ms`)
	require.NoError(t, srv.Close())
	assert.ErrorIs(t, <-errc, rsh.ErrServerClosed)

	ln, err = listenLoopback()
	require.NoError(t, err)
	bad := errors.New("accept: something else")
	assert.Equal(t, bad, (&rsh.Server{}).Serve(&flakyListener{Listener: ln, n: 1, err: bad}))
}
