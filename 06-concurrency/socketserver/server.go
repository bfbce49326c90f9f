package socketserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

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
	// and then closed: it is told, not left waiting (limit.go).
	MaxConns int

	// OverLimit tells a connection over MaxConns that the server is busy.
	// It runs on its own goroutine with a 5-second deadline on conn, and
	// conn is closed when it returns. nil means write BusyMessage.
	OverLimit Handler

	// IdleTimeout, if positive, bounds every Read on the connection handed
	// to Handler: a Read that sees no data for this long fails with an
	// error that matches os.ErrDeadlineExceeded. A handler may still set
	// its own deadlines; the earlier one wins. 0 means no timeout. With a
	// timeout the handler gets a wrapper; its NetConn() net.Conn method
	// returns the connection underneath (e.g. a *net.TCPConn). See idle.go.
	IdleTimeout time.Duration

	// ConnContext, if not nil, derives the context passed to Handler for
	// each connection from the server's context.
	ConnContext func(ctx context.Context, conn net.Conn) context.Context

	// Logger receives a line per client connected and left, and every
	// error the server handles itself. nil means discard.
	Logger *slog.Logger

	// The server's books, kept by track.go.
	mu     sync.Mutex
	closed bool // set by Shutdown or Close; never cleared
	// listeners maps each listener being served to the function that
	// cancels the context of its connections' handlers.
	listeners map[net.Listener]context.CancelFunc
	conns     map[net.Conn]struct{} // every open conn: served and over-limit
	active    int                   // conns being served by Handler
	wg        sync.WaitGroup        // one per conn goroutine
}

// Serve accepts connections on ln and serves each on a new goroutine with
// s.Handler. This accept loop is the connection loop, Python's
// serve_forever(): it never waits for a conversation to end. Serve takes
// ownership of ln and closes it on return.
//
// A temporary accept error (such as running out of file descriptors) is
// logged and retried after a growing delay (accept.go); any other ends
// Serve. The context passed to handlers is canceled by Shutdown and Close,
// and also when Serve returns.
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

	log := s.logger()
	var retry acceptRetry
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if !isTemporary(err) {
				return err
			}
			retry.wait(ctx, log, err) // Shutdown and Close cut the wait short
			continue
		}
		retry.reset()
		// Logged here rather than on the connection's goroutine, so that
		// goroutine's stack never grows to format a log line.
		log.Info("client connected", "remote", conn.RemoteAddr().String())
		s.start(ctx, conn) // serveConn on a goroutine of its own (track.go)
	}
}

// serveConn is the goroutine of one connection: it runs the Handler, the
// conversation loop, and then closes the connection. A panicking handler
// costs only its own connection.
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
			log.Info("client idle too long; dropped", "idle", s.IdleTimeout)
		}
		log.Info("client left", "duration", time.Since(start).Round(time.Millisecond))
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

// DefaultAddr is the address ListenAndServe uses when Addr is empty: the
// loopback address and port of the note's servers. A server never listens
// beyond this machine unless it is told to.
const DefaultAddr = "127.0.0.1:8080"

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

func (s *Server) logger() *slog.Logger { return orDiscard(s.Logger) }

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
