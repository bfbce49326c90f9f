package message_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/04-struct-framing/message"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutine and the
// test's.
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

// wrote returns a channel that is closed at the next Write.
func (s *syncBuffer) wrote() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer serves s on a loopback listener and returns its address.
// Cleanup closes it and checks that Serve returned ErrServerClosed.
func startServer(t *testing.T, s *message.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, message.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientAndServer(t *testing.T) {
	var served syncBuffer
	addr := startServer(t, &message.Server{Out: &served})
	var out bytes.Buffer
	cl := &message.Client{Out: &out, Timeout: 5 * time.Second}
	require.NoError(t, cl.Send(context.Background(), addr, []string{"helloworld", "SB", "", "粘包"}))

	wantClient := `sent message 1: 10 bytes "helloworld"
sent message 2: 2 bytes "SB"
sent message 3: 0 bytes ""
sent message 4: 6 bytes "粘包"
reply 1: server got "helloworld" whole
reply 2: server got "SB" whole
reply 3: server got "" whole
reply 4: server got "粘包" whole
`
	assert.Equal(t, wantClient, out.String(), "client output")
	// The replies come after the server has printed each message.
	wantServer := `message 1: 10 bytes "helloworld"
message 2: 2 bytes "SB"
message 3: 0 bytes ""
message 4: 6 bytes "粘包"
`
	assert.Equal(t, wantServer, served.String(), "server output")
}

// TestServerPrintsWholeMessagesFromOneWrite sends several frames in a
// single write, the worst case of sticking, and one frame byte by byte.
func TestServerPrintsWholeMessagesFromOneWrite(t *testing.T) {
	var served syncBuffer
	addr := startServer(t, &message.Server{Out: &served})
	c := dial(t, addr)

	var wire bytes.Buffer
	for _, m := range []string{"helloworld", "SB", "third"} {
		require.NoError(t, frame.WriteBytes(&wire, nil, []byte(m)))
	}
	_, err := c.Write(wire.Bytes())
	require.NoError(t, err)
	wire.Reset()
	require.NoError(t, frame.WriteBytes(&wire, nil, []byte("slow")))
	for _, b := range wire.Bytes() {
		_, err := c.Write([]byte{b})
		require.NoError(t, err)
	}
	for i, want := range []string{"helloworld", "SB", "third", "slow"} {
		_, body, err := frame.ReadBytes(c, 100)
		require.NoError(t, err, "reply %d", i+1)
		assert.Equal(t, want, string(body), "reply %d", i+1)
	}
	want := "message 1: 10 bytes \"helloworld\"\nmessage 2: 2 bytes \"SB\"\nmessage 3: 5 bytes \"third\"\nmessage 4: 4 bytes \"slow\"\n"
	assert.Equal(t, want, served.String(), "server output")
}

// TestServerSurvivesBadFrames sends what is not a frame and checks that
// the server hangs up on that client and goes on serving the next.
func TestServerSurvivesBadFrames(t *testing.T) {
	le := func(n int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }
	hdr := func(h string) []byte { return append(le(int32(len(h))), h...) }
	bad := map[string][]byte{
		"negative length":   le(-5),
		"huge header":       le(1 << 30),
		"not JSON":          hdr("hello"),
		"data_size string":  hdr(`{"data_size":"2"}`),
		"header cut short":  le(100),
		"plain text (ch03)": []byte("helloworldSB"),
	}
	var served syncBuffer
	addr := startServer(t, &message.Server{Out: &served})
	for name, wire := range bad {
		c := dial(t, addr)
		_, err := c.Write(wire)
		require.NoError(t, err, name)
		// End the input so that a frame cut short is seen as one. The server
		// may already have hung up (and reset the connection), so an error
		// here is no failure.
		c.(*net.TCPConn).CloseWrite()
		// The server closes the connection without a reply.
		got, err := io.ReadAll(c)
		if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			t.Errorf("%s: reading after a bad frame = %v", name, err)
		}
		if len(got) != 0 {
			t.Errorf("%s: server replied %q to a bad frame, want nothing", name, got)
		}
	}
	cl := &message.Client{Timeout: 5 * time.Second}
	require.NoError(t, cl.Send(context.Background(), addr, []string{"still here"}))
	assert.Equal(t, "message 1: 10 bytes \"still here\"\n", served.String(), "server output: only the good message")
}

// TestServerRefusesLargeMessageAndLosesNothing sends a message over the
// limit between two small ones: the server refuses it, skips its body and
// still gets the next message whole.
func TestServerRefusesLargeMessageAndLosesNothing(t *testing.T) {
	var served syncBuffer
	addr := startServer(t, &message.Server{Out: &served, MaxMessage: 1000})
	var out bytes.Buffer
	cl := &message.Client{Out: &out, Timeout: 5 * time.Second}
	err := cl.Send(context.Background(), addr, []string{"a", strings.Repeat("x", 5000), "b"})
	assert.EqualError(t, err, "server refused 1 of 3 messages")
	assert.Contains(t, out.String(), "reply 2: refused: message of 5000 bytes is over the limit of 1000")
	assert.Contains(t, out.String(), `reply 3: server got "b" whole`)
	assert.Equal(t, "message 1: 1 bytes \"a\"\nmessage 3: 1 bytes \"b\"\n", served.String(), "server output")
}

func TestClientErrors(t *testing.T) {
	// A port with no listener: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	noServer := ln.Addr().String()
	ln.Close()

	// A server that reads the first frame's prefix and hangs up.
	hangsUp := fakeServer(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 4))
	})
	// A server that reads everything and never answers.
	silent := fakeServer(t, func(c net.Conn) {
		io.Copy(io.Discard, c)
	})

	tests := []struct {
		name, addr string
		timeout    time.Duration
		want       string
	}{
		{"no server", noServer, time.Minute, "no server at " + noServer + " (connection refused): is the server running?"},
		{"missing port", "localhost", time.Minute, `bad address "localhost": missing port in address`},
		{"bad port", "127.0.0.1:http-alt-x", time.Minute, `bad address "127.0.0.1:http-alt-x": unknown port`},
		{"dropped", hangsUp, time.Minute, "connection dropped by the server"},
		{"no reply", silent, 100 * time.Millisecond, "no reply from " + silent + " within 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := &message.Client{Timeout: tt.timeout}
			err := cl.Send(context.Background(), tt.addr, []string{"helloworld", "SB"})
			require.Error(t, err)
			got := err.Error()
			if tt.name == "dropped" {
				// Whether the hang-up reads as EOF or as a reset depends on
				// what the server had left unread.
				got = strings.TrimSuffix(got, ": connection reset by peer")
			}
			assert.Equal(t, tt.want, got, "Send to %s", tt.addr)
		})
	}
}

// fakeServer accepts connections and hands each to serve, then closes it.
func fakeServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			serve(c)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestCloseEndsAnIdleConnection checks that Close does not wait for a
// client that is connected but silent.
func TestCloseEndsAnIdleConnection(t *testing.T) {
	s := &message.Server{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	c := dial(t, ln.Addr().String())
	// A reply proves the server is inside this connection's loop.
	require.NoError(t, frame.WriteBytes(c, nil, []byte("hi")))
	_, _, err = frame.ReadBytes(c, 10)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		if !errors.Is(err, message.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s of Close")
	}
}

func TestListenAndServeListensOnAddr(t *testing.T) {
	logs := &syncBuffer{}
	s := &message.Server{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(logs, nil))}
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe() }()
	addr := waitForLog(t, logs, regexp.MustCompile(`msg=listening addr=(\S+)`))[1]
	require.NoError(t, (&message.Client{Timeout: 5 * time.Second}).Send(context.Background(), addr, []string{"x"}))
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, message.ErrServerClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return within 10s of Close")
	}
}

// waitForLog waits until the log holds a line matching re and returns
// the match, failing the test after 10s.
func waitForLog(t *testing.T, logs *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		wrote := logs.wrote()
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m
		}
		select {
		case <-wrote:
		case <-timeout.C:
			t.Fatalf("no log line matching %v within 10s:\n%s", re, logs.String())
		}
	}
}

// flakyListener fails its first n Accept calls with err.
type flakyListener struct {
	net.Listener
	mu  sync.Mutex
	n   int
	err error
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.n > 0 {
		l.n--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestAcceptRetry checks the accept-retry rule: a temporary failure
// (EMFILE here) is logged and retried, and the server goes on serving; any
// other failure ends Serve with that error.
func TestAcceptRetry(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	t.Run("temporary", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		logs := &syncBuffer{}
		s := &message.Server{Logger: slog.New(slog.NewTextHandler(logs, nil))}
		errc := make(chan error, 1)
		go func() { errc <- s.Serve(&flakyListener{Listener: ln, n: 3, err: emfile}) }()
		require.NoError(t, (&message.Client{Timeout: 5 * time.Second}).Send(context.Background(), ln.Addr().String(), []string{"x"}))
		assert.Equal(t, 3, strings.Count(logs.String(), `msg="accept failed; retrying"`), "log:\n%s", logs.String())
		assert.Contains(t, logs.String(), "delay=5ms")
		assert.Contains(t, logs.String(), "delay=20ms")
		require.NoError(t, s.Close())
		assert.ErrorIs(t, <-errc, message.ErrServerClosed)
	})
	t.Run("permanent", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		bad := errors.New("accept: something else")
		s := &message.Server{}
		assert.Equal(t, bad, s.Serve(&flakyListener{Listener: ln, n: 1, err: bad}))
	})
}

func TestIdleTimeoutClosesSilentClient(t *testing.T) {
	addr := startServer(t, &message.Server{IdleTimeout: 50 * time.Millisecond})
	c := dial(t, addr)
	// Send nothing; the server must hang up on its own, well before the
	// 10s deadline of this connection.
	buf := make([]byte, 1)
	_, err := c.Read(buf)
	if err == nil || errors.Is(err, net.ErrClosed) {
		t.Errorf("Read from an idle connection = %v, want EOF or reset from the server", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the test's own deadline fired first: the server did not close the idle connection")
	}
}
