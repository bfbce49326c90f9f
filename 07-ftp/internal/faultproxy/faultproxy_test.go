package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// pattern returns n bytes that differ from one position to the next, so a
// prefix check catches a lost or repeated chunk.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// offsets is the list of cut points the tests try: the edges of small
// numbers, of the proxy's 32 KiB buffer and of common socket buffers, and
// some random ones.
func offsets(t *testing.T, max int) []int64 {
	t.Helper()
	out := []int64{0, 1, 2, 3, 5, 7, 100, 1000, 4095, 4096, 4097,
		32<<10 - 1, 32 << 10, 32<<10 + 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 200_000}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for range 12 {
		out = append(out, r.Int64N(int64(max-1)))
	}
	t.Logf("cut offsets: %v", out)
	return out
}

// target is a test server behind the proxy. For each connection it runs
// handle and sends the result on got.
type target struct {
	ln  net.Listener
	got chan []byte
	wg  sync.WaitGroup
}

func startTarget(t *testing.T, handle func(net.Conn) []byte) *target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{ln: ln, got: make(chan []byte, 64)}
	tg.wg.Add(1)
	go func() {
		defer tg.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tg.wg.Add(1)
			go func() {
				defer tg.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				tg.got <- handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		tg.wg.Wait()
	})
	return tg
}

func (tg *target) addr() string { return tg.ln.Addr().String() }

func (tg *target) next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-tg.got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("target saw no connection end within 10s")
		return nil
	}
}

func startProxy(t *testing.T, addr string, f Fault) *Proxy {
	t.Helper()
	p, err := Start(addr, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func nextStats(t *testing.T, p *Proxy) Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := p.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for the proxied connection to end: %v", err)
	}
	return s
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// readAll is a target handler that keeps what the client sent.
func readAll(c net.Conn) []byte {
	b, _ := io.ReadAll(c)
	return b
}

func testUpload(t *testing.T, reset bool) {
	const size = 300_000
	data := pattern(size)
	tg := startTarget(t, readAll)
	p := startProxy(t, tg.addr(), NoFault)
	for _, n := range offsets(t, size) {
		p.SetFault(Fault{Dir: ClientToServer, After: n, Reset: reset})
		c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			// The write fails once the proxy drops the connection; that
			// is the point, so its error is not checked.
			c.Write(data)
			c.Close()
		} else if !reset {
			// An RST that comes at once may beat the dial's own check
			// of the new connection; only then may the dial fail.
			t.Fatal(err)
		}
		got := tg.next(t)
		st := nextStats(t, p)
		if st.Up != n || !st.Cut || st.Down != 0 {
			t.Fatalf("cut at %d: proxy reports %+v, want Up=%d Cut=true Down=0", n, st, n)
		}
		if !reset && int64(len(got)) != n {
			t.Fatalf("cut at %d (FIN): server received %d bytes", n, len(got))
		}
		if int64(len(got)) > n {
			t.Fatalf("cut at %d: server received %d bytes, more than the limit", n, len(got))
		}
		if !bytes.Equal(got, data[:len(got)]) {
			t.Fatalf("cut at %d: server received bytes that are not a prefix of what was sent", n)
		}
	}
}

func TestCutClientToServerAtExactlyN(t *testing.T) { testUpload(t, false) }

func TestCutClientToServerWithResetNeverPassesMoreThanN(t *testing.T) { testUpload(t, true) }

func testDownload(t *testing.T, reset bool) {
	const size = 300_000
	data := pattern(size)
	tg := startTarget(t, func(c net.Conn) []byte {
		c.Write(data) // fails once the proxy cuts; that is expected
		return nil
	})
	p := startProxy(t, tg.addr(), NoFault)
	for _, n := range offsets(t, size) {
		p.SetFault(Fault{Dir: ServerToClient, After: n, Reset: reset})
		var got []byte
		c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			got, err = io.ReadAll(c)
			c.Close()
		} else if !reset {
			// An RST that comes at once may beat the dial's own check
			// of the new connection; only then may the dial fail.
			t.Fatal(err)
		}
		tg.next(t)
		st := nextStats(t, p)
		if st.Down != n || !st.Cut || st.Up != 0 {
			t.Fatalf("cut at %d: proxy reports %+v, want Down=%d Cut=true Up=0", n, st, n)
		}
		if !reset && (int64(len(got)) != n || err != nil) {
			t.Fatalf("cut at %d (FIN): client received %d bytes, err %v; want exactly %d and a clean end", n, len(got), err, n)
		}
		if int64(len(got)) > n {
			t.Fatalf("cut at %d: client received %d bytes, more than the limit", n, len(got))
		}
		if !bytes.Equal(got, data[:len(got)]) {
			t.Fatalf("cut at %d: client received bytes that are not a prefix of what was sent", n)
		}
	}
}

func TestCutServerToClientAtExactlyN(t *testing.T) { testDownload(t, false) }

func TestCutServerToClientWithResetNeverPassesMoreThanN(t *testing.T) { testDownload(t, true) }

func TestResetGivesThePeerAnError(t *testing.T) {
	// The target answers only once the client has spoken, so the dial is
	// complete before the cut.
	tg := startTarget(t, func(c net.Conn) []byte {
		io.ReadFull(c, make([]byte, 2))
		c.Write(pattern(1000))
		return nil
	})
	p := startProxy(t, tg.addr(), Fault{Dir: ServerToClient, After: 10, Reset: true})
	c := dial(t, p.Addr())
	defer c.Close()
	if _, err := c.Write([]byte("go")); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadAll(c)
	if err == nil {
		t.Fatal("reading after an RST cut returned a clean end of stream, want a connection reset error")
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Fatalf("reading after an RST cut timed out instead of failing: %v", err)
	}
	tg.next(t)
	nextStats(t, p)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestNoFaultForwardsBothWays(t *testing.T) {
	tg := startTarget(t, func(c net.Conn) []byte {
		b, _ := io.ReadAll(c)
		c.Write(bytes.ToUpper(b))
		return b
	})
	p := startProxy(t, tg.addr(), NoFault)
	msg := bytes.Repeat([]byte("hello, proxy "), 5000)
	c := dial(t, p.Addr())
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	back, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, bytes.ToUpper(msg)) {
		t.Fatalf("echo through the proxy: got %d bytes, want %d", len(back), len(msg))
	}
	tg.next(t)
	st := nextStats(t, p)
	want := Stats{Up: int64(len(msg)), Down: int64(len(msg))}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

func TestCutInOneDirectionCountsTheOther(t *testing.T) {
	// The server greets with 100 bytes, then reads; the cut is on the
	// upload after 50 bytes, so the stats show both directions.
	tg := startTarget(t, func(c net.Conn) []byte {
		c.Write(pattern(100))
		return readAll(c)
	})
	p := startProxy(t, tg.addr(), Fault{Dir: ClientToServer, After: 50})
	c := dial(t, p.Addr())
	defer c.Close()
	if _, err := io.ReadFull(c, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	c.Write(pattern(1000))
	if got := tg.next(t); len(got) != 50 {
		t.Fatalf("server received %d bytes, want 50", len(got))
	}
	st := nextStats(t, p)
	if st != (Stats{Up: 50, Down: 100, Cut: true}) {
		t.Fatalf("stats %+v, want Up=50 Down=100 Cut=true", st)
	}
}

func TestDialFailureIsReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p := startProxy(t, dead, NoFault)
	c := dial(t, p.Addr())
	defer c.Close()
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes through a proxy whose target is down", n)
	}
	st := nextStats(t, p)
	if st.DialErr == nil {
		t.Fatalf("stats %+v: want a dial error", st)
	}
}

func TestCloseEndsOpenConnections(t *testing.T) {
	arrived := make(chan struct{})
	tg := startTarget(t, func(c net.Conn) []byte {
		io.ReadFull(c, make([]byte, 1))
		close(arrived)
		return readAll(c)
	})
	p, err := Start(tg.addr(), NoFault)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Addr())
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	select { // the connection is through the proxy, both sides open
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the byte did not reach the target within 10s")
	}
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10s with a connection open")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still readable after Close")
	}
	tg.next(t)
}

func TestDirectionString(t *testing.T) {
	for d, want := range map[Direction]string{ClientToServer: "client->server", ServerToClient: "server->client"} {
		if got := fmt.Sprint(d); got != want {
			t.Errorf("%d: %q, want %q", d, got, want)
		}
	}
}

func TestSetFaultFuncPicksPerConnection(t *testing.T) {
	tg := startTarget(t, readAll)
	p := startProxy(t, tg.addr(), NoFault)
	p.SetFaultFunc(func(n int) Fault {
		if n%2 == 0 {
			return Fault{Dir: ClientToServer, After: int64(10 * (n + 1))}
		}
		return NoFault
	})
	for i := range 4 {
		c := dial(t, p.Addr())
		c.Write(pattern(1000))
		c.Close()
		got := tg.next(t)
		st := nextStats(t, p)
		want := 1000
		if i%2 == 0 {
			want = 10 * (i + 1)
		}
		if len(got) != want || st.Up != int64(want) || st.Cut != (i%2 == 0) {
			t.Fatalf("connection %d: server got %d bytes, stats %+v; want %d", i, len(got), st, want)
		}
	}
}
