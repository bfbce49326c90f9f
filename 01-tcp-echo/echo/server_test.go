package echo_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// A client that sends nothing for IdleTimeout is dropped, so the next one is
// served (with one client at a time, a silent client would block everyone).
func TestServerDropsIdleClient(t *testing.T) {
	logger, logs := newLogRecorder()
	addr := startServer(t, &echo.Server{Logger: logger, IdleTimeout: 50 * time.Millisecond})

	silent := dial(t, addr)
	waiting := dial(t, addr)
	_, err := waiting.Write([]byte("my turn?"))
	require.NoError(t, err)

	n, err := silent.Read(make([]byte, 16)) // bounded by dial's deadline
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF, "silent client's read: the server closed")
	e := logs.wait(t, "client left")
	assert.Equal(t, "idle", e.attrs["reason"])
	assert.Equal(t, "50ms", e.attrs["idle"])

	buf := make([]byte, len("my turn?"))
	_, err = io.ReadFull(waiting, buf)
	require.NoError(t, err)
	assert.Equal(t, "my turn?", string(buf), "the waiting client's reply")
}

// failingListener returns errs from Accept, one per call, then accepts from
// the real listener.
type failingListener struct {
	net.Listener
	errs []error
}

func (l *failingListener) Accept() (net.Conn, error) {
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	return l.Listener.Accept()
}

// A temporary Accept failure (out of file descriptors, say) waits and tries
// again, 5 ms, then twice as long each time; Serve goes on.
func TestServeRetriesTemporaryAcceptErrors(t *testing.T) {
	logger, logs := newLogRecorder()
	s := &echo.Server{Logger: logger}
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	ln := &failingListener{Listener: listen(t), errs: []error{emfile, emfile, emfile}}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		assert.ErrorIs(t, <-errc, echo.ErrServerClosed)
	})

	var delays []string
	for range 3 {
		e := logs.wait(t, "accept failed; retrying")
		assert.Contains(t, e.attrs["err"], "too many open files")
		delays = append(delays, e.attrs["delay"])
	}
	assert.Equal(t, []string{"5ms", "10ms", "20ms"}, delays)
	conn := dial(t, ln.Addr().String())
	assert.Equal(t, "still serving", roundTrip(t, conn, "still serving"))
}

// Any other Accept failure ends Serve with that error.
func TestServeReturnsPermanentAcceptError(t *testing.T) {
	boom := errors.New("boom")
	s := &echo.Server{}
	ln := &failingListener{Listener: listen(t), errs: []error{boom}}
	assert.ErrorIs(t, s.Serve(ln), boom)
}

// An error from Reply ends the conversation and Serve returns it.
func TestServeReturnsReplyError(t *testing.T) {
	boom := errors.New("boom")
	s := &echo.Server{Reply: func(ctx context.Context, msg []byte, from net.Addr) ([]byte, error) {
		return nil, boom
	}}
	ln := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	conn := dial(t, ln.Addr().String())
	_, err := conn.Write([]byte("x"))
	require.NoError(t, err)
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, boom)
	case <-time.After(timeout):
		t.Fatal("Serve did not return the Reply error")
	}
	_, err = conn.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the client's connection was closed")
}
