// Package udpecho implements a UDP echo server and a client for it.
//
// UDP has no connections. A server binds one address and then receives
// datagrams from anyone who sends to it; there is no listen and no accept.
// Each datagram arrives whole, carrying the address of its sender, and the
// server answers by sending a datagram back to that address:
//
//	pc, err := net.ListenPacket("udp", "127.0.0.1:8080")
//	if err != nil {
//		// handle error
//	}
//	srv := &udpecho.Server{Logger: slog.Default()}
//	err = srv.Serve(pc) // returns ErrServerClosed after srv.Close()
//
// A Client sends one datagram at a time and waits a bounded time for the
// reply, because on UDP a lost datagram or a missing server usually looks
// the same as a slow one: nothing arrives.
package udpecho

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DefaultAddr is the address the server binds when none is given. It is the
// address the course notes use.
const DefaultAddr = "127.0.0.1:8080"

// MaxPayload is the largest UDP payload that fits in one IPv4 datagram:
// 65535 bytes minus the 20-byte IPv4 header and the 8-byte UDP header.
const MaxPayload = 65507

// readBufSize is large enough for any UDP payload over IPv4 or IPv6 (without
// jumbograms), so the server never truncates a datagram.
const readBufSize = 1 << 16

// ErrServerClosed is returned by Serve and ListenAndServe after Close.
var ErrServerClosed = errors.New("udpecho: server closed")

// A ReplyFunc returns the reply to one datagram msg that came from the
// address from. msg is only valid during the call. If it returns an error,
// Serve sends nothing and returns that error.
type ReplyFunc func(msg []byte, from net.Addr) ([]byte, error)

// Server is a UDP echo server. Its zero value is ready to use: it binds
// DefaultAddr and echoes every datagram back to its sender.
//
// The server answers datagrams one at a time, in the order they arrive. It
// logs each datagram with its source address. No datagram can stop it: any
// payload, including an empty one, is a valid message.
type Server struct {
	// Addr is the UDP address ListenAndServe binds; empty means DefaultAddr.
	Addr string

	// Logger receives one record per datagram and per error; nil means
	// discard.
	Logger *slog.Logger

	// Reply computes each reply; nil means echo the datagram unchanged.
	// OperatorReplies returns a ReplyFunc for the notes' interactive server.
	Reply ReplyFunc

	mu     sync.Mutex
	conns  map[net.PacketConn]struct{}
	closed bool
	done   chan struct{} // closed by Close
}

// ListenAndServe binds s.Addr on UDP and then calls Serve. It always returns
// a non-nil error; after Close it returns ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if s.isClosed() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return s.Serve(pc)
}

// Serve reads datagrams from pc and answers each one to its sender until pc
// fails or Close is called. Serve closes pc when it returns. It always
// returns a non-nil error; after Close it returns ErrServerClosed.
//
// A failed read or reply is logged and does not stop the server: on some
// systems (Windows among them) a read reports an ICMP error caused by an
// earlier reply to a client that has gone away.
func (s *Server) Serve(pc net.PacketConn) error {
	if !s.track(pc) {
		pc.Close()
		return ErrServerClosed
	}
	defer pc.Close()
	defer s.untrack(pc)

	log := s.logger()
	log.Info("listening", "addr", pc.LocalAddr().String())

	buf := make([]byte, readBufSize)
	var backoff time.Duration
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Wait a little before the next read, so that an error that
			// keeps coming back does not make the loop spin.
			backoff = nextBackoff(backoff)
			log.Warn("read failed", "err", err, "retry_in", backoff)
			if !s.wait(backoff) {
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		msg := buf[:n]
		log.Info("datagram", "from", from.String(), "len", n, "data", preview(msg))

		reply := msg
		if s.Reply != nil {
			reply, err = s.Reply(msg, from)
			if err != nil {
				if s.isClosed() {
					return ErrServerClosed
				}
				return err
			}
		}
		if _, err := pc.WriteTo(reply, from); err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			log.Warn("reply failed", "to", from.String(), "err", err)
		}
	}
}

// Close closes every PacketConn that Serve is using, which makes Serve
// return ErrServerClosed. Later calls to Serve and ListenAndServe return
// ErrServerClosed at once. Close returns the first error from closing a
// PacketConn.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.doneLocked())
	}
	var err error
	for pc := range s.conns {
		if cerr := pc.Close(); cerr != nil && err == nil {
			err = cerr
		}
		delete(s.conns, pc)
	}
	return err
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// track registers pc so that Close can close it. It reports false if the
// server is already closed.
func (s *Server) track(pc net.PacketConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.PacketConn]struct{})
	}
	s.conns[pc] = struct{}{}
	return true
}

func (s *Server) untrack(pc net.PacketConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, pc)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) doneLocked() chan struct{} {
	if s.done == nil {
		s.done = make(chan struct{})
	}
	return s.done
}

// wait pauses for d and reports false if Close was called meanwhile.
func (s *Server) wait(d time.Duration) bool {
	s.mu.Lock()
	done := s.doneLocked()
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// nextBackoff doubles d, starting at 5ms and stopping at one second.
func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return 5 * time.Millisecond
	}
	return min(2*d, time.Second)
}

// previewLen is how many bytes of a datagram the log shows.
const previewLen = 64

// preview returns the start of msg for the log. The slog handlers quote or
// escape any bytes that are not printable, so the log stays readable
// whatever a client sends.
func preview(msg []byte) string {
	if len(msg) <= previewLen {
		return string(msg)
	}
	return string(msg[:previewLen]) + "..."
}
