package sticky

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"
)

// Server accepts TCP connections one at a time and prints every read of each: its
// number, its length and its bytes, quoted. It is the note's sticky server made to
// run for a class: where the note reads a fixed number of times, Server reads
// until the client closes, so every merge and every split shows.
//
// The zero value listens on DefaultAddr, reads 1024 bytes at a time and prints
// nothing. Close stops it at once; Shutdown lets the current client finish.
type Server struct {
	Addr        string        // where to listen; empty means DefaultAddr
	BufSize     int           // bytes per read; zero means 1024 (the note's recv(1024))
	Delay       time.Duration // wait before each read, like a busy server; zero means none
	IdleTimeout time.Duration // drop a client that sends nothing for this long; zero means never
	Out         io.Writer     // where connections and reads are printed; nil means discard
	Logger      *slog.Logger  // nil means discard

	track // listeners and connections, for Close and Shutdown (shutdown.go)
}

// DefaultAddr is the note's address, where a Server with no Addr listens.
const DefaultAddr = "127.0.0.1:8080"

// ErrServerClosed is returned by Serve and ListenAndServe after Close or Shutdown.
var ErrServerClosed = errors.New("sticky: server closed")

// Serve accepts connections on ln and serves them one after another: the
// connection loop. It always returns a non-nil error, ErrServerClosed after Close
// or Shutdown, and closes ln.
func (s *Server) Serve(ln net.Listener) error {
	if !s.addListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.removeListener(ln)
	var retry time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closing() {
				return ErrServerClosed
			}
			if retry = nextRetry(err, retry); retry == 0 {
				return err
			}
			s.logger().Warn("accept failed; retrying", "err", err, "delay", retry)
			if !s.pause(retry) {
				return ErrServerClosed
			}
			continue
		}
		retry = 0
		s.serveConn(c)
	}
}

// serveConn is the conversation loop: it prints every read of c until the client
// closes the connection, goes quiet for IdleTimeout, or the server is closed.
func (s *Server) serveConn(c net.Conn) {
	if !s.addConn(c) {
		c.Close()
		return
	}
	defer s.removeConn(c)
	log := s.logger().With("remote", c.RemoteAddr().String())
	log.Info("client connected")
	out := s.Out
	if out == nil {
		out = io.Discard
	}
	fmt.Fprintf(out, "connection from %v\n", c.RemoteAddr())
	buf := make([]byte, orDefault(s.BufSize, 1024))
	reads, bytes := 0, 0
	var err error
	for {
		if s.Delay > 0 && !s.pause(s.Delay) {
			break
		}
		if s.IdleTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(s.IdleTimeout))
		}
		var n int
		n, err = c.Read(buf) // data = conn.recv(1024)
		if n > 0 {
			reads++
			bytes += n
			fmt.Fprintf(out, "read #%d: %s\n", reads, Quote(buf[:n]))
		}
		if err != nil {
			break
		}
	}
	fmt.Fprintf(out, "connection closed after %d %s\n", reads, plural(reads, "read"))
	switch {
	case err == nil, errors.Is(err, io.EOF), s.closing():
		log.Info("client left", "bytes", bytes)
	case errors.Is(err, os.ErrDeadlineExceeded):
		log.Info("client left", "bytes", bytes, "err", fmt.Sprintf("sent nothing for %v", s.IdleTimeout))
	default:
		log.Info("client left", "bytes", bytes, "err", err)
	}
}

// ListenAndServe listens on s.Addr (DefaultAddr if empty) and calls Serve. It
// always returns a non-nil error.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.logger().Info("listening", "addr", ln.Addr().String())
	return s.Serve(ln)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// orDefault returns v, or def if v is zero.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
