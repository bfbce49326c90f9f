package socketserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func echoServer() *Server { return &Server{Handler: HandlerFunc(Echo)} }

// C1: each connection is served on its own goroutine while the server keeps
// accepting, so a second client is answered while the first is connected.
func TestClaimC1_SecondClientServedWhileFirstConnected(t *testing.T) {
	addr := startServer(t, echoServer())

	first := dial(t, addr)
	mustEcho(t, first, "first client, still here")

	second := dial(t, addr) // the first has not left
	mustEcho(t, second, "second client")

	mustEcho(t, first, "first client again") // and the first is still served
}

// C1 at scale: 1,000 clients are connected at the same time and each gets
// its own echo. Every client stays connected until all have their reply, so
// a server that served one at a time would fail here.
func TestClaimC1_ThousandClientsAtOnce(t *testing.T) {
	const clients = 1000
	// Each client costs this process two descriptors (client and server
	// side of the same loopback connection).
	ensureFileLimit(t, 2*clients+200)

	rec := newLogRecorder()
	srv := &Server{Handler: HandlerFunc(Echo), Logger: slog.New(rec)}
	addr := startServer(t, srv)

	conns := make([]net.Conn, clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	deadline := time.Now().Add(30 * time.Second)
	for i := range conns {
		wg.Go(func() {
			d := net.Dialer{Deadline: deadline}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				errs <- fmt.Errorf("client %d: dial: %w", i, err)
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatal(err) // the first dial error is enough
	}

	// All 1,000 are connected; now each sends its own message.
	replies := make(chan error, clients)
	for i, c := range conns {
		wg.Go(func() {
			if err := c.SetDeadline(deadline); err != nil {
				replies <- err
				return
			}
			msg := fmt.Sprintf("client %04d says hello\n", i)
			got, err := roundTrip(c, msg)
			if err == nil && got != msg {
				err = fmt.Errorf("client %d got %q, want %q", i, got, msg)
			}
			replies <- err
		})
	}
	wg.Wait()
	close(replies)
	for err := range replies {
		if err != nil {
			t.Error(err)
		}
	}
	if got := srv.ActiveConns(); got != clients {
		t.Errorf("ActiveConns() with %d clients connected = %d, want %d", clients, got, clients)
	}
}

// C2: the handler's "request" is the connection itself (Python's
// self.request is conn); its remote address is the client's local address.
func TestClaimC2_HandlerGetsTheConnection(t *testing.T) {
	addr := startServer(t, &Server{Handler: HandlerFunc(func(_ context.Context, conn net.Conn) {
		fmt.Fprintf(conn, "%s\n", conn.RemoteAddr())
	})})
	c := dial(t, addr)
	got, err := readAll(c)
	want := c.LocalAddr().String() + "\n"
	if err != nil || got != want {
		t.Errorf("handler saw remote %q, %v; want the client's address %q", got, err, want)
	}
}

// C2 and T7: Serve's accept loop is the connection loop. A client leaving,
// politely or with a reset, ends only its own conversation; the server goes
// on accepting.
func TestClaimT7_ClientLeavingDoesNotStopServer(t *testing.T) {
	rec := newLogRecorder()
	addr := startServer(t, &Server{Handler: HandlerFunc(Echo), Logger: slog.New(rec)})

	polite := dial(t, addr)
	mustEcho(t, polite, "bye")
	polite.Close()
	rec.waitFor(t, "connection closed")

	rude := dial(t, addr)
	mustEcho(t, rude, "reset coming")
	if err := rude.(*net.TCPConn).SetLinger(0); err != nil { // close sends RST
		t.Fatal(err)
	}
	rude.Close()
	rec.waitFor(t, "connection closed")

	mustEcho(t, dial(t, addr), "still serving")
}

// Shutdown refuses new connections at once but lets a conversation in
// progress finish its message; then Serve returns ErrServerClosed and
// Shutdown returns nil.
func TestShutdownFinishesInFlightAndRefusesNew(t *testing.T) {
	received, canceled := make(chan struct{}), make(chan struct{})
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, conn net.Conn) {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(conn, buf); err != nil {
			return
		}
		close(received)
		// The request is in; the server now shuts down mid-message.
		<-ctx.Done()
		close(canceled)
		fmt.Fprintf(conn, "done: %s\n", buf) // the reply still goes out
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	c := dial(t, addr)
	if _, err := io.WriteString(c, "hello"); err != nil {
		t.Fatal(err)
	}
	<-received // the handler has the request

	shutErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		shutErr <- srv.Shutdown(ctx)
	}()

	<-canceled // listeners are closed before handlers' ctx is canceled
	if late, err := net.DialTimeout("tcp", addr, ioTimeout); err == nil {
		late.Close()
		t.Errorf("dial after Shutdown began succeeded; want it refused")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Logf("dial after Shutdown: %v", err) // refused, in the local spelling
	}

	got, err := readAll(c)
	if want := "done: hello\n"; err != nil || got != want {
		t.Errorf("in-flight reply = %q, %v; want %q, nil", got, err, want)
	}
	if err := <-shutErr; err != nil {
		t.Errorf("Shutdown() = %v, want nil", err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
	if err := srv.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() after Shutdown = %v, want ErrServerClosed", err)
	}
}

// Echo, the chapter's handler, stops at a message boundary on Shutdown: an
// idle client is let go without waiting for the grace period.
func TestShutdownEndsIdleEchoConversations(t *testing.T) {
	srv := echoServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	c := dial(t, ln.Addr().String())
	mustEcho(t, c, "one message, then silence")

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v, want nil (Echo returns when ctx is canceled)", err)
	}
	if got, err := readAll(c); got != "" || err != nil {
		t.Errorf("after Shutdown the client read %q, %v; want EOF", got, err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
}

// When the grace period ends first, Shutdown closes the connections that are
// left and returns ctx.Err().
func TestShutdownGraceOverClosesConns(t *testing.T) {
	started, returned := make(chan struct{}), make(chan struct{})
	srv := &Server{Handler: HandlerFunc(func(_ context.Context, conn net.Conn) {
		defer close(returned)
		if _, err := io.ReadFull(conn, make([]byte, 1)); err != nil {
			return
		}
		close(started)
		io.Copy(io.Discard, conn) // ignores ctx: only a closed conn stops it
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	c := dial(t, ln.Addr().String())
	if _, err := io.WriteString(c, "x"); err != nil {
		t.Fatal(err)
	}
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the grace period is already over
	if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown(canceled ctx) = %v, want context.Canceled", err)
	}
	if _, err := readAll(c); err != nil {
		t.Errorf("client read after forced close: %v, want EOF", err)
	}
	<-returned
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
}

// After Shutdown, no goroutine of the server is left: not the accept loop,
// not a handler, not an idle-timeout or context watcher.
func TestNoGoroutineLeakAfterShutdown(t *testing.T) {
	before := goleak.IgnoreCurrent()
	srv := &Server{Handler: HandlerFunc(Echo), IdleTimeout: time.Minute, MaxConns: 20}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	var conns []net.Conn
	for i := range 25 { // five over the limit
		c := dial(t, ln.Addr().String())
		conns = append(conns, c)
		if i < 20 {
			mustEcho(t, c, fmt.Sprintf("conn %d", i))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
	for _, c := range conns {
		c.Close()
	}
	goleak.VerifyNone(t, before)
}

// Close stops everything at once: Serve returns and every client sees its
// connection end.
func TestCloseClosesConnsNow(t *testing.T) {
	srv := echoServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	c := dial(t, ln.Addr().String())
	mustEcho(t, c, "hi")
	if err := srv.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if _, err := readAll(c); err != nil {
		t.Errorf("client read after Close: %v, want EOF", err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
}

// A connection over MaxConns is told "server busy" and closed, not left
// waiting in the backlog; once a slot frees, the next client is served.
func TestMaxConnsTellsAndClosesExtra(t *testing.T) {
	rec := newLogRecorder()
	srv := &Server{Handler: HandlerFunc(Echo), MaxConns: 2, Logger: slog.New(rec)}
	addr := startServer(t, srv)

	a, b := dial(t, addr), dial(t, addr)
	mustEcho(t, a, "a")
	mustEcho(t, b, "b")

	extra := dial(t, addr)
	got, err := readAll(extra)
	if err != nil || got != "server busy\n" {
		t.Errorf("client over the limit read %q, %v; want %q then EOF", got, err, "server busy\n")
	}
	mustEcho(t, a, "a still served")

	a.Close()
	rec.waitFor(t, "connection closed") // logged after the slot is freed
	mustEcho(t, dial(t, addr), "took a's place")
}

// OverLimit replaces the default message, e.g. with a protocol's own reply.
func TestMaxConnsCustomOverLimit(t *testing.T) {
	srv := &Server{
		Handler:  HandlerFunc(Echo),
		MaxConns: 1,
		OverLimit: HandlerFunc(func(_ context.Context, conn net.Conn) {
			io.WriteString(conn, "421 Too many users, try later.\r\n")
		}),
	}
	addr := startServer(t, srv)
	mustEcho(t, dial(t, addr), "only one")
	got, err := readAll(dial(t, addr))
	if want := "421 Too many users, try later.\r\n"; err != nil || got != want {
		t.Errorf("client over the limit read %q, %v; want %q then EOF", got, err, want)
	}
}

// A handler that panics is logged with its stack; only its own connection is
// lost, and the server goes on serving the others and new ones.
func TestHandlerPanicLosesOnlyItsConnection(t *testing.T) {
	rec := newLogRecorder()
	srv := &Server{Logger: slog.New(rec), Handler: HandlerFunc(func(ctx context.Context, conn net.Conn) {
		buf := make([]byte, 5)
		for {
			if _, err := io.ReadFull(conn, buf); err != nil {
				return
			}
			if string(buf) == "panic" {
				panic("client asked for it")
			}
			conn.Write(buf)
		}
	})}
	addr := startServer(t, srv)

	bystander := dial(t, addr)
	mustEcho(t, bystander, "hello")

	victim := dial(t, addr)
	if _, err := io.WriteString(victim, "panic"); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(victim); got != "" {
		t.Errorf("panicking handler's client read %q, %v; want the connection closed", got, err)
	}
	rec.waitFor(t, "connection closed")

	mustEcho(t, bystander, "still")
	mustEcho(t, dial(t, addr), "newer")

	log := rec.text()
	for _, want := range []string{"handler panicked", "client asked for it", "TestHandlerPanicLosesOnlyItsConnection"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q (the panic value and a stack naming the handler):\n%s", want, log)
		}
	}
}

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

// Temporary Accept errors such as EMFILE are retried after a growing pause,
// not fatal; other errors end Serve.
func TestAcceptTemporaryErrorBacksOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := newLogRecorder()
	srv := &Server{Handler: HandlerFunc(Echo), Logger: slog.New(rec)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(&flakyListener{Listener: ln, n: 3}) }()
	mustEcho(t, dial(t, ln.Addr().String()), "served after three EMFILEs")
	if err := srv.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
	log := rec.text()
	if got := strings.Count(log, "accept failed; retrying"); got != 3 {
		t.Errorf("logged %d accept retries, want 3:\n%s", got, log)
	}
	for _, pause := range []string{"pause=5ms", "pause=10ms", "pause=20ms"} {
		if !strings.Contains(log, pause) {
			t.Errorf("log lacks %s:\n%s", pause, log)
		}
	}
}

type brokenListener struct{ net.Listener }

var errBroken = errors.New("listener broken")

func (brokenListener) Accept() (net.Conn, error) { return nil, errBroken }

func TestAcceptPermanentErrorStopsServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := echoServer()
	if err := srv.Serve(brokenListener{ln}); !errors.Is(err, errBroken) {
		t.Errorf("Serve(broken listener) = %v, want %v", err, errBroken)
	}
}

func TestServeWithoutHandler(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var srv Server
	if err := srv.Serve(ln); err == nil || errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve with nil Handler = %v, want a configuration error", err)
	}
}

func TestListenAndServe(t *testing.T) {
	srv := &Server{Addr: "127.0.0.1:0", Handler: HandlerFunc(Echo)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	if err := srv.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := <-serveErr; !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe() after Close = %v, want ErrServerClosed", err)
	}

	bad := &Server{Addr: "127.0.0.1:http-no-such-port", Handler: HandlerFunc(Echo)}
	if err := bad.ListenAndServe(); err == nil || errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe(%q) = %v, want a listen error", bad.Addr, err)
	}
}

// ConnContext lets a server attach values to each connection's context.
func TestConnContext(t *testing.T) {
	type key struct{}
	srv := &Server{
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, key{}, "conn from "+c.RemoteAddr().String())
		},
		Handler: HandlerFunc(func(ctx context.Context, conn net.Conn) {
			fmt.Fprint(conn, ctx.Value(key{}))
		}),
	}
	c := dial(t, startServer(t, srv))
	got, err := readAll(c)
	if want := "conn from " + c.LocalAddr().String(); err != nil || got != want {
		t.Errorf("handler's ctx value = %q, %v; want %q", got, err, want)
	}
}

// With an idle timeout the handler gets a wrapper, and NetConn reaches the
// *net.TCPConn underneath (for CloseWrite, say).
func TestIdleWrapperNetConn(t *testing.T) {
	srv := &Server{IdleTimeout: time.Minute, Handler: HandlerFunc(func(_ context.Context, conn net.Conn) {
		nc, ok := conn.(interface{ NetConn() net.Conn })
		if !ok {
			fmt.Fprintf(conn, "%T has no NetConn", conn)
			return
		}
		fmt.Fprintf(conn, "%T", nc.NetConn())
	})}
	got, err := readAll(dial(t, startServer(t, srv)))
	if want := "*net.TCPConn"; err != nil || got != want {
		t.Errorf("handler saw %q, %v; want %q", got, err, want)
	}
}
