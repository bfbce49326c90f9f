// Package message redoes chapter 03's demonstration with framing: a client
// sends short messages in quick succession, each as one frame of package
// frame, and a server prints each message once, whole, however TCP
// grouped the bytes, and sends it back as a framed reply.
//
// The server serves one client at a time, as the note's server does;
// chapter 06 serves many at once.
package message

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// Server prints every message it receives and replies to each with a
// frame that carries the message back. The zero value is ready to use.
type Server struct {
	// Addr is where ListenAndServe listens; empty means DefaultAddr.
	Addr string
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

	mu     sync.Mutex // guards the fields below; see close.go
	ln     net.Listener
	conn   net.Conn
	closed bool
	done   chan struct{} // closed by Close
	outMu  sync.Mutex
}

// Serve accepts connections on ln and serves them one after another. It
// always returns a non-nil error and closes ln: ErrServerClosed after
// Close, or the error that stopped Accept.
func (s *Server) Serve(ln net.Listener) error {
	defer ln.Close()
	if !s.trackListener(ln) {
		return ErrServerClosed
	}
	log := s.logger()
	log.Info("listening", "addr", ln.Addr().String())
	var delay time.Duration
	for { // the connection loop: one client after another
		conn, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if !temporary(err) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Warn("accept failed; retrying", "err", err, "delay", delay)
			if !s.pause(delay) {
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		if !s.trackConn(conn) {
			conn.Close()
			return ErrServerClosed
		}
		s.serveConn(log.With("remote", conn.RemoteAddr().String()), conn)
		s.trackConn(nil)
	}
}

// serveConn is the conversation loop: it reads frames from c until the
// client leaves or sends something that is not a frame. Nothing a client
// sends makes it panic.
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
		case s.isClosed():
			log.Info("connection closed by shutdown")
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			log.Info("client idle; closing the connection", "idle", s.IdleTimeout)
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
		log.Warn("refused message", "message", n, "bytes", h.DataSize, "limit", limit)
		return frame.WriteBytes(c, Header{Seq: n, Error: msg}, nil)
	}
	p, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.print("message %d: %d bytes %q\n", n, len(p), p)
	return frame.WriteBytes(c, Header{Seq: n}, p)
}

// ListenAndServe listens on s.Addr and serves. It always returns a
// non-nil error: ErrServerClosed after Close.
func (s *Server) ListenAndServe() error {
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

// DefaultAddr is where a Server listens when its Addr is empty: the note's
// address.
const DefaultAddr = "127.0.0.1:8080"

// DefaultMaxMessage is the largest message a Server prints when its
// MaxMessage is zero.
const DefaultMaxMessage = 1 << 20

// Header is the header of a message frame and of its reply, besides
// data_size, which package frame adds.
type Header struct {
	// Seq numbers the messages of one connection from 1.
	Seq int `json:"seq"`
	// Error, in a reply, says why the server refused the message. The
	// reply then has no body.
	Error string `json:"error,omitempty"`
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

func (s *Server) print(format string, args ...any) {
	if s.Out == nil {
		return
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprintf(s.Out, format, args...)
}
