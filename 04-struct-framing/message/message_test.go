package message_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/04-struct-framing/message"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
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
	if got := out.String(); got != wantClient {
		t.Errorf("client output:\n%s\nwant:\n%s", got, wantClient)
	}
	// The replies come after the server has printed each message.
	wantServer := `message 1: 10 bytes "helloworld"
message 2: 2 bytes "SB"
message 3: 0 bytes ""
message 4: 6 bytes "粘包"
`
	if got := served.String(); got != wantServer {
		t.Errorf("server output:\n%s\nwant:\n%s", got, wantServer)
	}
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
		if string(body) != want {
			t.Errorf("reply %d = %q, want %q", i+1, body, want)
		}
	}
	want := "message 1: 10 bytes \"helloworld\"\nmessage 2: 2 bytes \"SB\"\nmessage 3: 5 bytes \"third\"\nmessage 4: 4 bytes \"slow\"\n"
	if got := served.String(); got != want {
		t.Errorf("server output:\n%s\nwant:\n%s", got, want)
	}
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
	if got := served.String(); got != "message 1: 10 bytes \"still here\"\n" {
		t.Errorf("server output = %q, want only the good message", got)
	}
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
	if err == nil || !strings.Contains(err.Error(), "refused 1 of 3") {
		t.Errorf("Send = %v, want a refusal of 1 of 3 messages", err)
	}
	if !strings.Contains(out.String(), "reply 2: refused: message of 5000 bytes is over the limit of 1000") ||
		!strings.Contains(out.String(), `reply 3: server got "b" whole`) {
		t.Errorf("client output:\n%s", out.String())
	}
	if got, want := served.String(), "message 1: 1 bytes \"a\"\nmessage 3: 1 bytes \"b\"\n"; got != want {
		t.Errorf("server output = %q, want %q", got, want)
	}
}

func TestClientErrors(t *testing.T) {
	// A port with no listener: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	noServer := ln.Addr().String()
	ln.Close()

	// A server that reads the first frame's prefix and hangs up.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.ReadFull(c, make([]byte, 4))
			c.Close()
		}
	}()
	hangsUp := ln.Addr().String()

	tests := []struct {
		name, addr, want string
	}{
		{"no server", noServer, "connection refused: is the server running?"},
		{"bad address", "localhost", `bad address "localhost"`},
		{"dropped", hangsUp, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := &message.Client{Timeout: 5 * time.Second}
			err := cl.Send(context.Background(), tt.addr, []string{"helloworld", "SB"})
			if err == nil {
				t.Fatalf("Send(%s) = nil, want an error", tt.addr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Send(%s) error spans lines: %q", tt.addr, err)
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Send(%s) = %q, want it to contain %q", tt.addr, err, tt.want)
			}
			if tt.name == "dropped" && !strings.Contains(err.Error(), "closed the connection") &&
				!strings.Contains(err.Error(), "dropped") {
				t.Errorf("Send to a server that hangs up = %q, want it to say the connection was dropped", err)
			}
		})
	}
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

func TestListenAndServeStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	s := &message.Server{}
	go func() {
		errc <- s.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a.String() })
	}()
	addr := <-addrc
	require.NoError(t, (&message.Client{Timeout: 5 * time.Second}).Send(ctx, addr, []string{"x"}))
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("ListenAndServe after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return within 10s of cancel")
	}
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
