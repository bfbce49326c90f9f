package socketserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

	srv := echoServer()
	addr := startServer(t, srv)

	conns := make([]net.Conn, clients)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, clients)
	deadline := time.Now().Add(30 * time.Second)
	for i := range conns {
		wg.Go(func() {
			d := net.Dialer{Deadline: deadline}
			conns[i], errs[i] = d.Dial("tcp", addr)
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "dialing %d clients", clients)

	// All 1,000 are connected; now each sends its own message.
	for i, c := range conns {
		wg.Go(func() {
			if errs[i] = c.SetDeadline(deadline); errs[i] != nil {
				return
			}
			msg := fmt.Sprintf("client %04d says hello\n", i)
			got, err := roundTrip(c, msg)
			if err == nil && got != msg {
				err = fmt.Errorf("client %d got %q, want %q", i, got, msg)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	assert.NoError(t, errors.Join(errs...))
	assert.Equal(t, clients, srv.ActiveConns(), "ActiveConns() with every client connected")
}

// C2: the handler's "request" is the connection itself (Python's
// self.request is conn); its remote address is the client's local address.
func TestClaimC2_HandlerGetsTheConnection(t *testing.T) {
	addr := startServer(t, &Server{Handler: HandlerFunc(func(_ context.Context, conn net.Conn) {
		fmt.Fprintf(conn, "%s\n", conn.RemoteAddr())
	})})
	c := dial(t, addr)
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, c.LocalAddr().String()+"\n", got, "the remote address the handler saw")
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
	rec.waitFor(t, "client left")

	rude := dial(t, addr)
	mustEcho(t, rude, "reset coming")
	require.NoError(t, rude.(*net.TCPConn).SetLinger(0)) // close sends RST
	rude.Close()
	rec.waitFor(t, "client left")

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
	ln := listen(t)
	addr := ln.Addr().String()
	serveErr := serve(srv, ln)

	c := dial(t, addr)
	_, err := io.WriteString(c, "hello")
	require.NoError(t, err)
	<-received // the handler has the request

	shutErr := make(chan error, 1)
	go func() { shutErr <- shutdown(srv) }()

	<-canceled // listeners are closed before handlers' ctx is canceled
	late, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err == nil {
		late.Close()
	}
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "dial after Shutdown began")

	got, err := readAll(c)
	assert.NoError(t, err)
	assert.Equal(t, "done: hello\n", got, "the reply in flight")
	assert.NoError(t, <-shutErr, "Shutdown")
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
	assert.ErrorIs(t, srv.Serve(ln), ErrServerClosed, "Serve after Shutdown")
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
	ln := listen(t)
	serveErr := serve(srv, ln)
	c := dial(t, ln.Addr().String())
	_, err := io.WriteString(c, "x")
	require.NoError(t, err)
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the grace period is already over
	assert.ErrorIs(t, srv.Shutdown(ctx), context.Canceled, "Shutdown(canceled ctx)")
	_, err = readAll(c)
	assert.NoError(t, err, "the client reads EOF after the forced close")
	<-returned
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
}

// After Shutdown, no goroutine of the server is left: not the accept loop,
// not a handler, not an idle-timeout or context watcher; with either echo
// handler, the limit and the idle timeout on.
func TestNoGoroutineLeakAfterShutdown(t *testing.T) {
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			srv := &Server{Handler: h.h, IdleTimeout: time.Minute, MaxConns: 20}
			ln := listen(t)
			serveErr := serve(srv, ln)
			var conns []net.Conn
			for i := range 25 { // five over the limit
				c := dial(t, ln.Addr().String())
				conns = append(conns, c)
				if i < 20 {
					mustEcho(t, c, fmt.Sprintf("conn %d", i))
				}
			}
			assert.NoError(t, shutdown(srv), "Shutdown")
			assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
			for _, c := range conns {
				c.Close()
			}
			goleak.VerifyNone(t, before)
		})
	}
}

// Close stops everything at once: Serve returns and every client sees its
// connection end.
func TestCloseClosesConnsNow(t *testing.T) {
	srv := echoServer()
	ln := listen(t)
	serveErr := serve(srv, ln)
	c := dial(t, ln.Addr().String())
	mustEcho(t, c, "hi")
	assert.NoError(t, srv.Close())
	_, err := readAll(c)
	assert.NoError(t, err, "the client reads EOF after Close")
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "Serve")
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
	_, err := io.WriteString(victim, "panic")
	require.NoError(t, err)
	got, _ := readAll(victim) // EOF or a reset: the connection is gone either way
	assert.Empty(t, got, "what the panicking handler's client read")
	rec.waitFor(t, "client left")

	mustEcho(t, bystander, "still")
	mustEcho(t, dial(t, addr), "newer")

	log := rec.text()
	// The panic value and a stack that names the handler.
	for _, want := range []string{"handler panicked", "client asked for it", "TestHandlerPanicLosesOnlyItsConnection"} {
		assert.Contains(t, log, want)
	}
}

func TestServeWithoutHandler(t *testing.T) {
	var srv Server
	err := srv.Serve(listen(t))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrServerClosed, "Serve with nil Handler is a configuration error")
}

func TestListenAndServe(t *testing.T) {
	srv := &Server{Addr: "127.0.0.1:0", Handler: HandlerFunc(Echo)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	assert.NoError(t, srv.Close())
	assert.ErrorIs(t, <-serveErr, ErrServerClosed, "ListenAndServe after Close")

	bad := &Server{Addr: "127.0.0.1:http-no-such-port", Handler: HandlerFunc(Echo)}
	err := bad.ListenAndServe()
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrServerClosed, "ListenAndServe(%q) fails to listen", bad.Addr)
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
	require.NoError(t, err)
	assert.Equal(t, "conn from "+c.LocalAddr().String(), got, "the handler's ctx value")
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
	require.NoError(t, err)
	assert.Equal(t, "*net.TCPConn", got, "the type behind NetConn()")
}
