package echo

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DefaultAddr is the address the note uses: the loopback interface, port 8080.
const DefaultAddr = "127.0.0.1:8080"

// BufSize is the most bytes the server reads in one call, like the note's
// conn.recv(1024). Whatever one read returns is one message (claim T11).
const BufSize = 1024

// ErrServerClosed is returned by [Server.Serve] and [Server.ListenAndServe]
// after a call to [Server.Close].
var ErrServerClosed = errors.New("echo: server closed")

// A ReplyFunc returns the reply to msg, one message from the client at from.
// msg is valid only during the call. ctx ends when the server is closed, and
// the ReplyFunc should then return. An error ends the conversation, and
// Serve returns it.
type ReplyFunc func(ctx context.Context, msg []byte, from net.Addr) ([]byte, error)

// Server is a TCP echo server that serves one client at a time, as the
// note's server does; chapter 06 serves many at once.
//
// The zero value is a working echo server on [DefaultAddr]. A Server must not
// be copied after first use.
type Server struct {
	// Addr is the address ListenAndServe listens on; empty means DefaultAddr.
	Addr string

	// Logger receives a record for each client, each message and each
	// departure. Nil means discard.
	Logger *slog.Logger

	// Reply computes the reply to each message; nil means send the message
	// back. OperatorReplies returns one for the note's operator mode.
	Reply ReplyFunc

	// IdleTimeout is how long a client may stay silent before the server
	// drops it, so that one silent client cannot keep the others waiting
	// for ever (claim T12). Zero means no limit. See deadline.go.
	IdleTimeout time.Duration

	mu        sync.Mutex                          // guards what follows (close.go)
	listeners map[net.Listener]context.CancelFunc // each Serve's listener, and what ends its context
	conns     map[net.Conn]struct{}               // the client each Serve call is serving
	closed    bool
}

// ListenAndServe listens on s.Addr and then calls Serve. It always returns a
// non-nil error; after Close it returns ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln and serves them one after another: while
// one client is connected, the next waits in ln's accept queue (claim T12).
// A client that leaves in any way (closing, resetting, crashing) ends only
// its own conversation (claims T6 and T7).
//
// Serve always returns a non-nil error and closes ln. After Close it returns
// ErrServerClosed; if s.Reply fails, it returns that error.
func (s *Server) Serve(ln net.Listener) error {
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background()) // Close ends it
	defer cancel()
	if !s.track(ln, cancel) {
		return ErrServerClosed
	}
	defer s.untrack(ln)
	s.logger().Info("listening", "addr", ln.Addr().String())

	var delay time.Duration // after a failed Accept (retry.go)

	for { // The connection loop: one client after another.
		conn, err := ln.Accept() // conn, addr = phone.accept()
		if err != nil {
			if delay, err = s.acceptFailed(ctx, err, delay); err != nil {
				return err
			}
			continue
		}
		delay = 0
		if err := s.serveConn(ctx, conn); err != nil {
			return err
		}
	}
}

// serveConn holds the conversation with one client, then closes its
// connection. It returns an error only when Serve must stop: ErrServerClosed,
// or the error of s.Reply.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) error {
	defer conn.Close()
	if !s.trackConn(conn) {
		return ErrServerClosed
	}
	defer s.untrackConn(conn)
	log := s.logger().With("remote", conn.RemoteAddr().String())
	log.Info("client connected")

	err := s.converse(ctx, conn, log)
	s.logLeft(log, err)
	var rerr *replyError
	switch {
	case s.shuttingDown():
		return ErrServerClosed
	case errors.As(err, &rerr):
		return rerr.err
	}
	return nil
}

// converse is the conversation loop with one client. It returns the error
// that ended it: io.EOF when the client closed the connection.
func (s *Server) converse(ctx context.Context, conn net.Conn, log *slog.Logger) error {
	buf := make([]byte, BufSize)
	for { // The conversation loop: one message after another.
		s.awaitMessage(conn)     // the idle deadline (deadline.go)
		n, err := conn.Read(buf) // data = conn.recv(1024)
		if n > 0 {
			msg := buf[:n]
			log.Info("message", "bytes", n, "text", string(msg))
			reply, rerr := s.reply(ctx, msg, conn.RemoteAddr())
			if rerr != nil {
				return &replyError{rerr}
			}
			if _, err := conn.Write(reply); err != nil { // conn.send(...)
				return err
			}
		}
		if err != nil {
			return err // io.EOF, or an error such as a reset (claim T6)
		}
	}
}

// reply returns the reply to msg: msg itself, or what s.Reply makes of it.
func (s *Server) reply(ctx context.Context, msg []byte, from net.Addr) ([]byte, error) {
	if s.Reply == nil {
		return msg, nil
	}
	return s.Reply(ctx, msg, from)
}

// replyError marks an error from s.Reply, which stops Serve.
type replyError struct{ err error }

func (e *replyError) Error() string { return e.err.Error() }
func (e *replyError) Unwrap() error { return e.err }
