package udpecho_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

// wait bounds every blocking call in these tests, so that a broken test
// fails in seconds instead of hanging.
const wait = 5 * time.Second

// listenUDP binds a UDP socket on a free loopback port.
func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc
}

// startServer serves s on a fresh loopback socket and returns its address.
// Cleanup closes the server and checks that Serve returned ErrServerClosed.
func startServer(t *testing.T, s *udpecho.Server) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, udpecho.ErrServerClosed) {
				t.Errorf("Serve() = %v, want ErrServerClosed", err)
			}
		case <-time.After(wait):
			t.Errorf("Serve did not return within %v of Close", wait)
		}
	})
	return pc.LocalAddr().String()
}

// dial returns a client of the server at addr that waits up to timeout for
// each reply.
func dial(t *testing.T, addr string, timeout time.Duration) *udpecho.Client {
	t.Helper()
	c, err := udpecho.Dial(context.Background(), addr, timeout)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// deadAddr returns a loopback UDP address where nothing listens: it binds a
// free port and closes it again.
func deadAddr(t *testing.T) *net.UDPAddr {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().(*net.UDPAddr)
	require.NoError(t, pc.Close())
	return addr
}

// readFrom reads one datagram into a buffer of size bufSize, waiting at most
// wait.
func readFrom(t *testing.T, pc net.PacketConn, bufSize int) ([]byte, net.Addr) {
	t.Helper()
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(wait)))
	buf := make([]byte, bufSize)
	n, from, err := pc.ReadFrom(buf)
	require.NoError(t, err, "ReadFrom")
	return buf[:n], from
}

// recorder is a slog.Handler that keeps every record, so tests can check
// what the server logged.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
	changed chan struct{} // closed and replaced on every new record
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// logged is one log record flattened for comparison.
type logged struct {
	Msg   string
	Attrs map[string]string
}

// find returns the records with message msg.
func (r *recorder) find(msg string) []logged {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logged
	for _, rec := range r.records {
		if rec.Message != msg {
			continue
		}
		l := logged{Msg: rec.Message, Attrs: map[string]string{}}
		rec.Attrs(func(a slog.Attr) bool {
			l.Attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, l)
	}
	return out
}

// waitFor waits until at least n records with message msg exist and
// returns them.
func (r *recorder) waitFor(t *testing.T, msg string, n int) []logged {
	t.Helper()
	timeout := time.After(wait)
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if got := r.find(msg); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no %d log records %q within %v; have %d", n, msg, wait, len(r.find(msg)))
		}
	}
}
