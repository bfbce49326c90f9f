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
// The server's loop is in server.go; the other files each add one thing:
// close.go stops the server, retry.go survives a failing read, operator.go
// is the note's operator mode, log.go keeps the log short.
//
// A Client sends one datagram at a time and waits a bounded time for the
// reply, because on UDP a lost datagram or a missing server usually looks
// the same as a slow one: nothing arrives.
package udpecho

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DefaultAddr is the address the server binds when none is given. It is the
// address the note uses.
const DefaultAddr = "127.0.0.1:8080"

// MaxPayload is the largest UDP payload that fits in one IPv4 datagram:
// 65535 bytes minus the 20-byte IPv4 header and the 8-byte UDP header.
const MaxPayload = 65507

// readBufSize is large enough for any UDP payload over IPv4 or IPv6 (without
// jumbograms), so the server never truncates a datagram (claim U5).
const readBufSize = 1 << 16

// ErrServerClosed is returned by Serve and ListenAndServe after Close.
var ErrServerClosed = errors.New("udpecho: server closed")

// A ReplyFunc returns the reply to one datagram msg that came from the
// address from. msg is only valid during the call. ctx ends when the server
// is closed, and the ReplyFunc should then return. If it returns an error,
// Serve sends nothing and returns that error.
type ReplyFunc func(ctx context.Context, msg []byte, from net.Addr) ([]byte, error)

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
	// OperatorReplies returns one for the note's operator mode.
	Reply ReplyFunc

	mu     sync.Mutex                            // guards what follows (close.go)
	conns  map[net.PacketConn]context.CancelFunc // each Serve's socket, and what ends its context
	closed bool
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

// Serve reads datagrams from pc and answers each one to its sender until
// Close is called. Serve closes pc when it returns. It always returns a
// non-nil error; after Close it returns ErrServerClosed.
func (s *Server) Serve(pc net.PacketConn) error {
	defer pc.Close()
	ctx, cancel := context.WithCancel(context.Background()) // Close ends it
	defer cancel()
	if !s.track(pc, cancel) {
		return ErrServerClosed
	}
	defer s.untrack(pc)
	log := s.logger()
	log.Info("listening", "addr", pc.LocalAddr().String())

	buf := make([]byte, readBufSize)
	var delay time.Duration // after a failed read (retry.go)

	for { // One datagram after another, from anyone.
		n, from, err := pc.ReadFrom(buf) // msg, addr = t.recvfrom(Bufsize)
		if err != nil {
			if delay, err = s.readFailed(ctx, err, delay); err != nil {
				return err
			}
			continue
		}
		delay = 0
		msg := buf[:n]
		log.Info("datagram", "remote", from.String(), "bytes", n, "text", preview(msg))

		reply, err := s.reply(ctx, msg, from)
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			return err
		}
		if _, err := pc.WriteTo(reply, from); err != nil { // t.sendto(msg, addr)
			if s.isClosed() {
				return ErrServerClosed
			}
			log.Warn("reply failed", "remote", from.String(), "err", err)
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
