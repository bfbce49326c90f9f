// Package message redoes chapter 03's demonstration with framing: a client
// sends short messages in quick succession, each as one frame of package
// frame, and a server prints each message once, whole, however TCP
// grouped the bytes, and sends it back as a framed reply.
//
// The server serves one client at a time, as the notes' server does;
// chapter 06 serves many at once.
package message

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// DefaultMaxMessage is the largest message a Server prints when its
// MaxMessage is zero.
const DefaultMaxMessage = 1 << 20

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("message: server closed")

// Header is the header of a message frame and of its reply, besides
// data_size, which package frame adds.
type Header struct {
	// Seq numbers the messages of one connection from 1.
	Seq int `json:"seq"`
	// Error, in a reply, says why the server refused the message. The
	// reply then has no body.
	Error string `json:"error,omitempty"`
}

// Server prints every message it receives and replies to each with a
// frame that carries the message back. The zero value is ready to use.
type Server struct {
	// Out receives one line per message. Nil means discard.
	Out io.Writer
	// Logger logs connections and errors. Nil means discard.
	Logger *slog.Logger
	// MaxMessage is the largest body the server prints; a larger one is
	// skipped, without being held in memory, and refused in the reply.
	// Zero means DefaultMaxMessage.
	MaxMessage int64
	// IdleTimeout closes a connection that sends nothing for this long.
	// Zero means no limit.
	IdleTimeout time.Duration

	mu     sync.Mutex
	ln     net.Listener
	conn   net.Conn
	closed bool
	outMu  sync.Mutex
}

// Serve accepts connections on ln and serves them one after another. It
// always returns a non-nil error: ErrServerClosed after Close, or the
// error that stopped Accept.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.ln = ln
	s.mu.Unlock()
	log := s.logger()
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			return fmt.Errorf("message: accept: %w", err)
		}
		if !s.track(c) {
			c.Close()
			return ErrServerClosed
		}
		s.serveConn(log.With("remote", c.RemoteAddr().String()), c)
		s.track(nil)
	}
}

// Close stops the server: it closes the listener and the connection being
// served, so that Serve returns ErrServerClosed.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	if s.conn != nil {
		s.conn.Close()
	}
	return err
}

// ListenAndServe listens on addr and serves until ctx is done, then closes
// the server and returns nil. It calls ready, if not nil, with the
// listener's address once it is listening.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		s.Close()
		if err := <-errc; !errors.Is(err, ErrServerClosed) {
			return err
		}
		return nil
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track records c as the connection being served, and reports false if
// the server is already closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	return !s.closed
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) maxMessage() int64 {
	if s.MaxMessage <= 0 {
		return DefaultMaxMessage
	}
	return s.MaxMessage
}

// serveConn reads frames from c until the client leaves or sends
// something that is not a frame. Nothing a client sends makes it panic.
func (s *Server) serveConn(log *slog.Logger, c net.Conn) {
	defer c.Close()
	log.Info("client connected")
	fr := frame.NewReader(c)
	for n := 1; ; n++ {
		if s.IdleTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(s.IdleTimeout))
		}
		h, body, err := fr.Next()
		switch {
		case err == io.EOF:
			log.Info("client left", "messages", n-1)
			return
		case errors.Is(err, net.ErrClosed):
			log.Info("connection closed by shutdown")
			return
		case err != nil:
			// After a bad frame the stream is out of step: the next byte
			// could be anywhere in a header or a body. Hang up.
			log.Warn("bad frame; closing the connection", "message", n, "err", err)
			return
		}
		if err := s.handle(log, c, n, h, body); err != nil {
			log.Warn("connection error", "message", n, "err", err)
			return
		}
	}
}

// handle prints one message and replies to it.
func (s *Server) handle(log *slog.Logger, c net.Conn, n int, h frame.Header, body io.Reader) error {
	if limit := s.maxMessage(); h.DataSize > limit {
		// Skip the body in constant memory; the next frame starts after it.
		if _, err := io.Copy(io.Discard, body); err != nil {
			return err
		}
		msg := fmt.Sprintf("message of %d bytes is over the limit of %d", h.DataSize, limit)
		log.Warn("refused message", "message", n, "size", h.DataSize, "limit", limit)
		return frame.WriteBytes(c, Header{Seq: n, Error: msg}, nil)
	}
	p, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.print("message %d: %d bytes %q\n", n, len(p), p)
	return frame.WriteBytes(c, Header{Seq: n}, p)
}

func (s *Server) print(format string, args ...any) {
	if s.Out == nil {
		return
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprintf(s.Out, format, args...)
}
