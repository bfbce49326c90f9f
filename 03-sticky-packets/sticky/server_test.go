package sticky

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

func TestReadLoopOneByteAtATime(t *testing.T) {
	ctx := testCtx(t)
	w, r, err := tcpPair(ctx)
	require.NoError(t, err)
	defer w.Close()
	defer r.Close()
	for _, m := range NotesWrites {
		_, err := w.Write([]byte(m))
		require.NoError(t, err)
	}
	require.NoError(t, w.CloseWrite())
	var out strings.Builder
	n, err := ReadLoop(ctx, r, 1, 0, &out)
	require.NoError(t, err)
	want := oneByteReads("helloworldSB")
	if n != len(want) {
		t.Errorf("ReadLoop(bufsize 1) = %d reads, want %d", n, len(want))
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestReadLoopStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	w, r, err := tcpPair(testCtx(t))
	require.NoError(t, err)
	defer w.Close()
	defer r.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := ReadLoop(ctx, r, 1024, 0, &strings.Builder{})
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ReadLoop after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadLoop did not return after cancel")
	}
}

func TestReadLoopRejectsBadBufsize(t *testing.T) {
	if _, err := ReadLoop(testCtx(t), nil, 0, 0, &strings.Builder{}); err == nil {
		t.Error("ReadLoop(bufsize 0) = nil error, want one")
	}
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
	ctx, cancel := context.WithCancel(testCtx(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	out := make(lines, 100)
	s := &Server{BufSize: 1, Out: out}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()

	// A client that resets its connection ends only its own conversation.
	c, err := net.Dial("tcp", ln.Addr().String())
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
	c, err = net.Dial("tcp", ln.Addr().String())
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

	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
