package sticky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines is an io.Writer that hands each Write, split into lines, to a channel, so a
// test can wait for a server's output with a timeout.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	for _, s := range strings.SplitAfter(string(p), "\n") {
		if s != "" {
			l <- strings.TrimSuffix(s, "\n")
		}
	}
	return len(p), nil
}

// next returns the next line, failing the test after a timeout.
func (l lines) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-l:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a line of output")
		return ""
	}
}

func oneByteReads(s string) []string {
	var out []string
	for i := range len(s) {
		out = append(out, fmt.Sprintf("read #%d: 1 byte %q", i+1, s[i:i+1]))
	}
	return out
}

// startServer serves s on a loopback listener until the test ends, and checks
// that Serve then returns ErrServerClosed.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve() = %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return ln.Addr().String()
}

// dial connects to addr with a deadline on everything the test does with it.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// connected serves s, connects a client, and returns it once the server has
// printed the connection.
func connected(t *testing.T, s *Server) (*net.TCPConn, lines) {
	t.Helper()
	out := make(lines, 100)
	s.Out = out
	c := dial(t, startServer(t, s))
	assert.Regexp(t, `^connection from 127\.0\.0\.1:\d+$`, out.next(t))
	return c, out
}

func TestServerReadsOneByteAtATime(t *testing.T) {
	c, out := connected(t, &Server{BufSize: 1})
	for _, m := range NotesWrites {
		_, err := c.Write([]byte(m))
		require.NoError(t, err)
	}
	require.NoError(t, c.CloseWrite())
	var got []string
	for range len("helloworldSB") + 1 {
		got = append(got, out.next(t))
	}
	want := append(oneByteReads("helloworldSB"), "connection closed after 12 reads")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server output (-want +got):\n%s", diff)
	}
}

func TestServerCloseEndsTheConversation(t *testing.T) {
	s := &Server{}
	c, out := connected(t, s)
	require.NoError(t, s.Close())
	assert.Equal(t, "connection closed after 0 reads", out.next(t))
	// The server closed its end: the client reads EOF.
	_, err := c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}

func TestServerShutdownLetsTheClientFinish(t *testing.T) {
	s := &Server{}
	c, out := connected(t, s)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(testCtx(t)) }()
	// A new client is no longer accepted once Shutdown has closed the listener...
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while a client was connected", err)
	default:
	}
	// ...but the connected one finishes its conversation.
	_, err := c.Write([]byte("SB"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	assert.Equal(t, `read #1: 2 bytes "SB"`, out.next(t))
	assert.Equal(t, "connection closed after 1 read", out.next(t))
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the client left")
	}
}

func TestServerShutdownCutsOffAtTheDeadline(t *testing.T) {
	s := &Server{}
	_, out := connected(t, s) // a client that sends nothing
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, s.Shutdown(ctx), context.Canceled)
	assert.Equal(t, "connection closed after 0 reads", out.next(t))
}

func TestServerDropsAnIdleClient(t *testing.T) {
	c, out := connected(t, &Server{IdleTimeout: 20 * time.Millisecond})
	assert.Equal(t, "connection closed after 0 reads", out.next(t))
	_, err := c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}

func TestServerDelayWaitsBeforeEachRead(t *testing.T) {
	// With a delay, the two writes are both queued by the time of the first read.
	c, out := connected(t, &Server{Delay: time.Millisecond})
	for _, m := range NotesWrites {
		_, err := c.Write([]byte(m))
		require.NoError(t, err)
	}
	require.NoError(t, c.CloseWrite())
	var got strings.Builder
	for {
		l := out.next(t)
		if strings.HasPrefix(l, "connection closed") {
			break
		}
		got.WriteString(l[strings.Index(l, `"`):])
	}
	// Whatever the split, every byte arrives in order.
	assert.Equal(t, "helloworldSB", strings.ReplaceAll(got.String(), `"`, ""))
}

func TestServerListenAndServeAfterCloseReturnsErrServerClosed(t *testing.T) {
	s := &Server{Addr: "127.0.0.1:0"}
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.ListenAndServe(), ErrServerClosed)
}

func TestNextRetry(t *testing.T) {
	timeout := &net.OpError{Op: "accept", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		name  string
		err   error
		delay time.Duration
		want  time.Duration
	}{
		{"EMFILE first", syscall.EMFILE, 0, 5 * time.Millisecond},
		{"ENFILE doubles", syscall.ENFILE, 5 * time.Millisecond, 10 * time.Millisecond},
		{"ENOBUFS", syscall.ENOBUFS, 100 * time.Millisecond, 200 * time.Millisecond},
		{"ENOMEM stops growing", syscall.ENOMEM, 800 * time.Millisecond, time.Second},
		{"timeout", timeout, time.Second, time.Second},
		{"closed ends Serve", net.ErrClosed, 0, 0},
		{"other ends Serve", errors.New("boom"), 5 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		if got := nextRetry(tt.err, tt.delay); got != tt.want {
			t.Errorf("%s: nextRetry(%v, %v) = %v, want %v", tt.name, tt.err, tt.delay, got, tt.want)
		}
	}
}

func TestDialMessages(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = Dial(testCtx(t), free, 5*time.Second)
	assert.EqualError(t, err, "no server at "+free+" (connection refused): is the server running?")
	_, err = Dial(testCtx(t), "no-port-here", 5*time.Second)
	assert.EqualError(t, err, `bad address "no-port-here": address no-port-here: missing port in address`)
}

func TestWriteAllPrintsEveryWrite(t *testing.T) {
	ctx := testCtx(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	require.NoError(t, a.SetDeadline(time.Now().Add(5*time.Second)))
	require.NoError(t, b.SetDeadline(time.Now().Add(5*time.Second)))
	got := make(chan string, 1)
	go func() {
		var all []byte
		buf := make([]byte, 64)
		for {
			n, err := b.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				got <- string(all)
				return
			}
		}
	}()
	var out strings.Builder
	require.NoError(t, WriteAll(ctx, a, []string{"helloworld", "", "SB"}, 0, &out))
	a.Close()
	want := `write #1: 10 bytes "helloworld"
write #2: skipped: an empty write sends nothing on TCP
write #3: 2 bytes "SB"
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if s := <-got; s != "helloworldSB" {
		t.Errorf("peer received %q, want %q", s, "helloworldSB")
	}
}

func TestWriteAllCountsSegmentsOnLinux(t *testing.T) {
	if !segmentsSupported {
		t.Skip("segment counts need Linux TCP_INFO")
	}
	ctx := testCtx(t)
	w, r, err := tcpPair(ctx)
	require.NoError(t, err)
	defer w.Close()
	defer r.Close()
	var out strings.Builder
	require.NoError(t, WriteAll(ctx, w, NotesWrites, 0, &out))
	want := `write #1: 10 bytes "helloworld"  [data segments sent: 1]
write #2: 2 bytes "SB"  [data segments sent: 2]
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestWriteAllGapStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	require.NoError(t, a.SetDeadline(time.Now().Add(5*time.Second)))
	require.NoError(t, b.SetDeadline(time.Now().Add(5*time.Second)))
	go func() {
		buf := make([]byte, 64)
		b.Read(buf)
	}()
	err := WriteAll(ctx, a, NotesWrites, time.Hour, &strings.Builder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WriteAll with a cancelled context and a 1h gap = %v, want context.Canceled", err)
	}
}

func TestServerPrintsReadsAndSurvivesABadClient(t *testing.T) {
	out := make(lines, 100)
	addr := startServer(t, &Server{BufSize: 1, Out: out})

	// A client that resets its connection ends only its own conversation.
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	if l := out.next(t); !strings.HasPrefix(l, "connection from ") {
		t.Errorf("first line = %q, want the connection", l)
	}
	if l, want := out.next(t), `read #1: 1 byte "x"`; l != want {
		t.Errorf("line = %q, want %q", l, want)
	}
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
	if l, want := out.next(t), "connection closed after 1 read"; l != want {
		t.Errorf("line = %q, want %q", l, want)
	}

	// The next client is served.
	c, err = net.Dial("tcp", addr)
	require.NoError(t, err)
	for _, m := range NotesWrites {
		_, err := c.Write([]byte(m))
		require.NoError(t, err)
	}
	require.NoError(t, c.Close())
	if l := out.next(t); !strings.HasPrefix(l, "connection from ") {
		t.Errorf("line = %q, want the connection", l)
	}
	for _, want := range oneByteReads("helloworldSB") {
		if l := out.next(t); l != want {
			t.Errorf("line = %q, want %q", l, want)
		}
	}
	if l, want := out.next(t), "connection closed after 12 reads"; l != want {
		t.Errorf("line = %q, want %q", l, want)
	}
}
