package socketserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ioTimeout bounds every blocking read, write and dial in these tests, so a
// broken test fails in seconds instead of hanging.
const ioTimeout = 10 * time.Second

// startServer serves s on a fresh loopback listener and returns its address.
// Cleanup closes the server and checks that Serve returned ErrServerClosed.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if err := <-errc; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// dial connects to addr with a deadline on every later read and write.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	return c
}

// roundTrip writes msg and reads len(msg) bytes back.
func roundTrip(c net.Conn, msg string) (string, error) {
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return string(buf), err
}

// mustEcho checks that msg comes back unchanged on c.
func mustEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	got, err := roundTrip(c, msg)
	if err != nil || got != msg {
		t.Fatalf("echo of %q = %q, %v; want %q, nil", msg, got, err, msg)
	}
}

// readAll reads until EOF (or the deadline) and returns what came.
func readAll(c net.Conn) (string, error) {
	b, err := io.ReadAll(c)
	return string(b), err
}

// logRecorder is a slog.Handler that keeps every record and announces each
// message on a channel, so a test can wait for "connection closed" instead
// of polling.
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
			t.Fatalf("no %q logged within %v; log:\n%s", msg, ioTimeout, r.text())
		}
	}
}
