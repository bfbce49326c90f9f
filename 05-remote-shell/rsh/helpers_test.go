package rsh_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

// ioTimeout bounds every blocking network call in these tests, so that a
// broken test fails in seconds instead of hanging.
const ioTimeout = 20 * time.Second

// requireShell skips tests that need sh on systems that lack it.
func requireShell(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("these tests run commands with sh, which is not installed")
	}
}

// startServer serves s on a fresh loopback port and returns its address.
func startServer(t *testing.T, s *rsh.Server) string {
	t.Helper()
	requireShell(t)
	if s.TempDir == "" {
		s.TempDir = t.TempDir()
	}
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
		if err := <-errc; !errors.Is(err, rsh.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// dial connects to addr with a deadline on every later read and write.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// result is what Client.Run gave back for one command.
type result struct {
	rep            rsh.Reply
	stdout, stderr string
}

// run runs command through c and fails the test on a client error.
func run(t *testing.T, c *rsh.Client, command string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	rep, err := c.Run(command, &stdout, &stderr)
	if err != nil {
		t.Fatalf("Run(%q) error: %v", command, err)
	}
	return result{rep, stdout.String(), stderr.String()}
}

// readN reads exactly n bytes from conn (which has a deadline).
func readN(t *testing.T, conn net.Conn, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatalf("reading %d bytes: %v (got %q)", n, err, buf)
	}
	return string(buf)
}

// syncBuffer is a bytes.Buffer that a logger and a test may share.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at each Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

// waitFor waits until the buffer holds substr, failing after ioTimeout.
func (s *syncBuffer) waitFor(t *testing.T, substr string) {
	t.Helper()
	timeout := time.NewTimer(ioTimeout)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		text, changed := s.b.String(), s.changed
		s.mu.Unlock()
		if strings.Contains(text, substr) {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("log lacks %q after %v:\n%s", substr, ioTimeout, text)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

// seqOutput is what `seq 1 n` prints.
func seqOutput(n int) string {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
