package socketserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

// DefaultAddr is the address ListenAndServe uses when Addr is empty: the
// loopback address and port of the notes' servers. A server never listens
// beyond this machine unless it is told to.
const DefaultAddr = "127.0.0.1:8080"

// busyMessage is what a connection over Server.MaxConns is told when
// Server.OverLimit is nil.
const busyMessage = "server busy\n"

// overLimitTimeout bounds the time spent telling a client it is over the
// limit, so a client that never reads cannot pin a goroutine.
const overLimitTimeout = 5 * time.Second

// ErrServerClosed is returned by Serve and ListenAndServe (of Server and
// PacketServer) after Shutdown or Close.
var ErrServerClosed = errors.New("socketserver: server closed")

// A Handler serves one TCP connection: it is the conversation loop. The
// connection is the handler's "request", as self.request is in Python's
// socketserver. The server closes conn when ServeConn returns, so a handler
// need not (but may) close it.
//
// ctx is canceled when the server shuts down; a handler should then finish
// the message it is working on and return.
type Handler interface {
	ServeConn(ctx context.Context, conn net.Conn)
}

// HandlerFunc adapts an ordinary function to the Handler interface.
type HandlerFunc func(ctx context.Context, conn net.Conn)

// ServeConn calls f(ctx, conn).
func (f HandlerFunc) ServeConn(ctx context.Context, conn net.Conn) { f(ctx, conn) }

// Server serves TCP connections, each on its own goroutine. The zero value
// with a Handler set is ready to use. Fields must not be changed once Serve
// has been called.
type Server struct {
	// Addr is the address ListenAndServe listens on; "" means DefaultAddr
	// (127.0.0.1:8080). Serve ignores it.
	Addr string

	// Handler serves each connection. It must not be nil.
	Handler Handler

	// MaxConns caps the number of connections served at once; 0 means no
	// limit. A connection accepted over the limit is handed to OverLimit
	// and then closed: it is told, not left waiting.
	MaxConns int

	// OverLimit tells a connection over MaxConns that the server is busy.
	// It runs on its own goroutine with a 5-second deadline on conn, and
	// conn is closed when it returns. nil means write "server busy\n".
	OverLimit Handler

	// IdleTimeout, if positive, bounds every Read on the connection handed
	// to Handler: a Read that sees no data for this long fails with an
	// error that matches os.ErrDeadlineExceeded. A handler may still set
	// its own deadlines; the earlier one wins. 0 means no timeout. With a
	// timeout the handler gets a wrapper; its NetConn() net.Conn method
	// returns the connection underneath (e.g. a *net.TCPConn).
	IdleTimeout time.Duration

	// ConnContext, if not nil, derives the context passed to Handler for
	// each connection from the server's context.
	ConnContext func(ctx context.Context, conn net.Conn) context.Context

	// Logger receives a line per connection opened and closed, and every
	// error the server handles itself. nil means discard.
	Logger *slog.Logger

	mu     sync.Mutex
	closed bool // set by Shutdown or Close; never cleared
	// listeners maps each listener being served to the function that
	// cancels the context of its connections' handlers.
	listeners map[net.Listener]context.CancelFunc
	conns     map[net.Conn]struct{} // every open conn: served and over-limit
	active    int                   // conns being served by Handler
	wg        sync.WaitGroup        // one per conn goroutine
}

// init prepares the server's state; s.mu must be held.
func (s *Server) init() {
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]context.CancelFunc)
		s.conns = make(map[net.Conn]struct{})
	}
}

func (s *Server) logger() *slog.Logger { return orDiscard(s.Logger) }

// ActiveConns reports how many connections the Handler is serving now
// (connections over the limit are not counted).
func (s *Server) ActiveConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// ListenAndServe listens on s.Addr (DefaultAddr if empty) and calls Serve.
// It always returns a non-nil error.
func (s *Server) ListenAndServe() error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	ln, err := net.Listen("tcp", orDefault(s.Addr))
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Serve accepts connections on ln and serves each on a new goroutine with
// s.Handler. This accept loop is the connection loop: it never waits for a
// conversation to end. Serve takes ownership of ln and closes it on return.
//
// Temporary accept errors (such as running out of file descriptors) are
// logged and retried after a pause that doubles from 5 ms up to 1 s.
//
// The context passed to handlers is canceled by Shutdown and Close, and
// also when Serve returns.
//
// Serve always returns a non-nil error: ErrServerClosed after Shutdown or
// Close, otherwise the error that stopped it.
func (s *Server) Serve(ln net.Listener) error {
	if s.Handler == nil {
		ln.Close()
		return errors.New("socketserver: Server.Handler is nil")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !s.trackListener(ln, cancel) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)
	defer ln.Close()

	// Handlers get sctx: ctx, plus one shared watcher that wakes Echo's
	// blocked reads when ctx is canceled.
	sctx := newServeContext(ctx)
	log := s.logger()
	var pause time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if isTemporary(err) {
				pause = nextPause(pause)
				log.Warn("accept failed; retrying", "err", err, "pause", pause)
				if !sleep(ctx, pause) {
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		pause = 0
		// Logged here rather than on the connection's goroutine, so that
		// goroutine's stack never grows to format a log line; an idle
		// connection then costs 2 KiB of stack instead of 4.
		log.Info("connection opened", "remote", conn.RemoteAddr().String())
		s.startConn(sctx, conn)
	}
}

// trackListener records ln and the cancel function of its handlers'
// context; it fails once the server is closed.
func (s *Server) trackListener(ln net.Listener, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.closed {
		return false
	}
	s.listeners[ln] = cancel
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
}

// sleep waits for d or for ctx to end; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// startConn registers conn and starts the goroutine that serves it (or tells
// it the server is busy). Registering and the WaitGroup's Add happen under
// s.mu, before Shutdown can start waiting.
func (s *Server) startConn(ctx context.Context, conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return
	}
	s.conns[conn] = struct{}{}
	if s.MaxConns > 0 && s.active >= s.MaxConns {
		s.wg.Go(func() { s.refuse(ctx, conn) })
		return
	}
	s.active++
	s.wg.Go(func() { s.serveConn(ctx, conn) })
}

// forget closes conn and removes it from the server's books.
func (s *Server) forget(conn net.Conn, served bool) {
	conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
	if served {
		s.active--
	}
}

func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	start := time.Now()
	var ic *idleConn
	defer func() {
		log := s.logger().With("remote", conn.RemoteAddr().String())
		if v := recover(); v != nil {
			log.Error("handler panicked; connection dropped", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		s.forget(conn, true)
		if ic != nil && ic.timedOut.Load() {
			log.Info("connection idle too long", "idle_timeout", s.IdleTimeout)
		}
		log.Info("connection closed", "duration", time.Since(start).Round(time.Millisecond))
	}()

	if s.ConnContext != nil {
		ctx = s.ConnContext(ctx, conn)
	}
	var c net.Conn = conn
	if s.IdleTimeout > 0 {
		ic = newIdleConn(conn, s.IdleTimeout)
		c = ic
	}
	s.Handler.ServeConn(ctx, c)
}

// refuse tells a connection over MaxConns that the server is busy, then
// closes it.
func (s *Server) refuse(ctx context.Context, conn net.Conn) {
	log := s.logger().With("remote", conn.RemoteAddr().String())
	log.Warn("connection over limit; refusing", "max_conns", s.MaxConns)
	defer func() {
		if v := recover(); v != nil {
			log.Error("OverLimit handler panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		s.forget(conn, false)
	}()
	if err := conn.SetDeadline(time.Now().Add(overLimitTimeout)); err != nil {
		return
	}
	if s.OverLimit != nil {
		s.OverLimit.ServeConn(ctx, conn)
		return
	}
	if _, err := io.WriteString(conn, busyMessage); err != nil {
		log.Debug("telling client the server is busy failed", "err", err)
	}
}

// Shutdown stops the server gracefully: it closes every listener so no new
// connection is accepted, cancels the context passed to handlers so they can
// finish at a message boundary, and waits for all handlers to return. If ctx
// ends first, Shutdown closes the connections that remain and returns
// ctx.Err(); otherwise it returns nil.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	// Only now, with no listener left, are handlers told to finish.
	for _, cancel := range s.listeners {
		cancel()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		return ctx.Err()
	}
}

// Close stops the server at once: it closes every listener and every
// connection and cancels the handlers' context. It does not wait for
// handlers to return. It returns the first error from closing a listener.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closed = true
	var err error
	for ln, cancel := range s.listeners {
		if cerr := ln.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		cancel()
	}
	s.mu.Unlock()
	s.closeConns()
	return err
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// temporary is the method net errors such as EMFILE from accept have. It is
// deprecated on net.Error because most errors that claim it are not, but the
// accept loop of net/http still relies on it, as does this one.
type temporary interface{ Temporary() bool }

func isTemporary(err error) bool {
	var t temporary
	return errors.As(err, &t) && t.Temporary()
}

// nextPause doubles the pause between failed accepts, from 5 ms to 1 s.
func nextPause(d time.Duration) time.Duration {
	const first, longest = 5 * time.Millisecond, time.Second
	if d == 0 {
		return first
	}
	if d *= 2; d > longest {
		return longest
	}
	return d
}

// orDefault returns addr, or DefaultAddr if addr is empty.
func orDefault(addr string) string {
	if addr == "" {
		return DefaultAddr
	}
	return addr
}

// orDiscard returns l, or a logger that drops everything if l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
