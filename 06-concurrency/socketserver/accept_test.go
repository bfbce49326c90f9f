package socketserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// flakyListener fails its first n Accepts with EMFILE, as a process out of
// file descriptors does, then behaves.
type flakyListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.n > 0
	l.n--
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// Temporary Accept errors such as EMFILE are retried after a growing delay,
// not fatal, and each retry is logged.
func TestAcceptTemporaryErrorIsRetried(t *testing.T) {
	ln := listen(t)
	rec := newLogRecorder()
	srv := &Server{Handler: HandlerFunc(Echo), Logger: slog.New(rec)}
	serveErr := serve(srv, &flakyListener{Listener: ln, n: 3})
	mustEcho(t, dial(t, ln.Addr().String()), "served after three EMFILEs")
	assert.NoError(t, srv.Close())
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")

	log := rec.text()
	assert.Equal(t, 3, strings.Count(log, "accept failed; retrying"), "retries logged:\n%s", log)
	for _, delay := range []string{"delay=5ms", "delay=10ms", "delay=20ms"} {
		assert.Contains(t, log, delay)
	}
}

// The delay starts at 5 ms, doubles, stops growing at 1 s, and starts again
// from 5 ms after a successful accept.
func TestAcceptRetryDelays(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // wait returns at once; only the delays it picks matter here
	log := slog.New(slog.DiscardHandler)
	var r acceptRetry
	var got []time.Duration
	for range 10 {
		r.wait(ctx, log, syscall.EMFILE)
		got = append(got, r.delay)
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second}, got)
	r.reset()
	r.wait(ctx, log, syscall.EMFILE)
	assert.Equal(t, 5*ms, r.delay, "first delay after reset")
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestIsTemporary(t *testing.T) {
	wrap := func(errno syscall.Errno) error {
		return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept", errno)}
	}
	tests := []struct {
		err  error
		want bool
	}{
		{wrap(syscall.EMFILE), true},
		{wrap(syscall.ENFILE), true},
		{wrap(syscall.ENOBUFS), true},
		{wrap(syscall.ENOMEM), true},
		{&net.OpError{Op: "accept", Net: "tcp", Err: timeoutError{}}, true},
		{wrap(syscall.EINVAL), false},
		{net.ErrClosed, false},
		{errors.New("listener broken"), false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			assert.Equal(t, tt.want, isTemporary(tt.err), "isTemporary(%v)", tt.err)
		})
	}
}

type brokenListener struct{ net.Listener }

var errBroken = errors.New("listener broken")

func (brokenListener) Accept() (net.Conn, error) { return nil, errBroken }

// Any other Accept error ends Serve, which returns it.
func TestAcceptPermanentErrorStopsServe(t *testing.T) {
	assert.ErrorIs(t, echoServer().Serve(brokenListener{listen(t)}), errBroken)
}
