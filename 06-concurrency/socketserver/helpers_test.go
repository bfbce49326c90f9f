package socketserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ioTimeout bounds every blocking read, write and dial in these tests, so a
// broken test fails in seconds instead of hanging.
const ioTimeout = 10 * time.Second

// handlers are the chapter's two echo handlers: every echo test runs
// against both.
var handlers = []struct {
	name string
	h    Handler
}{
	{"Echo", HandlerFunc(Echo)},
	{"LowMemoryEcho", new(LowMemoryEcho)},
}

// listen returns a fresh loopback listener.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// serve runs s.Serve(ln) on a goroutine and returns the channel that gets
// its result.
func serve(s *Server, ln net.Listener) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	return errc
}

// startServer serves s on a fresh loopback listener and returns its address.
// Cleanup closes the server and checks that Serve returned ErrServerClosed.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln := listen(t)
	errc := serve(s, ln)
	t.Cleanup(func() {
		assert.NoError(t, s.Close())
		assert.ErrorIs(t, <-errc, ErrServerClosed, "Serve")
	})
	return ln.Addr().String()
}

// dial connects to addr with a deadline on every later read and write.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(ioTimeout)))
	return c
}

// roundTrip writes msg and reads len(msg) bytes back.
func roundTrip(c net.Conn, msg string) (string, error) {
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

// mustEcho checks that msg comes back unchanged on c.
func mustEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	got, err := roundTrip(c, msg)
	require.NoError(t, err, "echo of %q", msg)
	require.Equal(t, msg, got, "echo")
}

// readAll reads until EOF (or the deadline) and returns what came.
func readAll(c net.Conn) (string, error) {
	b, err := io.ReadAll(c)
	return string(b), err
}

// shutdown calls s.Shutdown with a context that ends after ioTimeout.
func shutdown(s *Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}

// logRecorder is a slog.Handler that keeps every record and announces each
// message on a channel, so a test can wait for "client left" instead of
// polling.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
	msgs  chan string
}

func newLogRecorder() *logRecorder { return &logRecorder{msgs: make(chan string, 10000)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	select {
	case r.msgs <- rec.Message:
	default:
	}
	return nil
}

// text returns everything logged so far, one record a line.
func (r *logRecorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// waitFor blocks until msg is logged (or fails the test after ioTimeout).
func (r *logRecorder) waitFor(t *testing.T, msg string) {
	t.Helper()
	timer := time.NewTimer(ioTimeout)
	defer timer.Stop()
	for {
		select {
		case m := <-r.msgs:
			if m == msg {
				return
			}
		case <-timer.C:
			require.FailNow(t, "log message missing", "no %q logged within %v; log:\n%s", msg, ioTimeout, r.text())
		}
	}
}
