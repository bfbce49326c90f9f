package socketserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

// A PacketHandler serves one UDP datagram. data is the handler's own copy
// (it may keep it), addr is the sender and pc is the server's socket, to
// reply with pc.WriteTo(reply, addr). This is Python's self.request, which
// for a UDP server is the pair (data, socket). ctx is canceled when the
// server shuts down.
type PacketHandler interface {
	ServeDatagram(ctx context.Context, pc net.PacketConn, data []byte, addr net.Addr)
}

// PacketHandlerFunc adapts an ordinary function to the PacketHandler
// interface.
type PacketHandlerFunc func(ctx context.Context, pc net.PacketConn, data []byte, addr net.Addr)

// ServeDatagram calls f(ctx, pc, data, addr).
func (f PacketHandlerFunc) ServeDatagram(ctx context.Context, pc net.PacketConn, data []byte, addr net.Addr) {
	f(ctx, pc, data, addr)
}

// PacketServer serves UDP datagrams, each on its own goroutine, like
// Python's ThreadingUDPServer. The zero value with a Handler set is ready to
// use. Fields must not be changed once Serve has been called.
type PacketServer struct {
	// Addr is the address ListenAndServe listens on; "" means DefaultAddr
	// (127.0.0.1:8080). Serve ignores it.
	Addr string

	// Handler serves each datagram. It must not be nil.
	Handler PacketHandler

	// MaxDatagramSize is the size of the receive buffer; a longer datagram
	// is cut to this length (on Linux the rest is discarded). 0 means
	// 65535, the most a UDP datagram can carry.
	MaxDatagramSize int

	// Logger receives the errors the server handles itself and handler
	// panics. nil means discard.
	Logger *slog.Logger

	mu     sync.Mutex
	closed bool
	// pcs maps each socket being served to the function that cancels the
	// context of its handlers.
	pcs map[net.PacketConn]context.CancelFunc
	wg  sync.WaitGroup // one per datagram being handled
}

// init prepares the server's state; s.mu must be held.
func (s *PacketServer) init() {
	if s.pcs == nil {
		s.pcs = make(map[net.PacketConn]context.CancelFunc)
	}
}

func (s *PacketServer) logger() *slog.Logger { return orDiscard(s.Logger) }

func (s *PacketServer) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// ListenAndServe listens on s.Addr (DefaultAddr if empty) and calls Serve.
// It always returns a non-nil error.
func (s *PacketServer) ListenAndServe() error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	pc, err := net.ListenPacket("udp", orDefault(s.Addr))
	if err != nil {
		return err
	}
	return s.Serve(pc)
}

// Serve reads datagrams from pc and hands each, with its own copy of the
// data, to s.Handler on a new goroutine. Serve takes ownership of pc:
// Shutdown and Close close it, and Serve closes it if it stops on an error.
//
// Read errors other than a closed socket are logged and do not stop the
// server: on Windows a read can fail because an earlier reply was refused
// by an ICMP port-unreachable, or because a datagram was longer than the
// buffer. Repeated errors are retried after a pause that doubles from 5 ms
// up to 1 s.
//
// Serve always returns a non-nil error: ErrServerClosed after Shutdown or
// Close, otherwise the error that stopped it.
func (s *PacketServer) Serve(pc net.PacketConn) error {
	if s.Handler == nil {
		pc.Close()
		return errors.New("socketserver: PacketServer.Handler is nil")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		pc.Close()
		return ErrServerClosed
	}
	s.pcs[pc] = cancel
	s.mu.Unlock()

	size := s.MaxDatagramSize
	if size <= 0 {
		size = 65535
	}
	buf := make([]byte, size)
	log := s.logger()
	var delay time.Duration
	for {
		n, addr, err := pc.ReadFrom(buf)
		if s.shuttingDown() {
			return ErrServerClosed
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				s.untrack(pc)
				return err
			}
			// The accept-retry delays (accept.go), for a failed read.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Warn("read failed; retrying", "err", err, "delay", delay)
			if !sleep(ctx, delay) {
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		data := bytes.Clone(buf[:n])
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return ErrServerClosed
		}
		s.wg.Go(func() { s.serveDatagram(ctx, pc, data, addr) })
		s.mu.Unlock()
	}
}

func (s *PacketServer) untrack(pc net.PacketConn) {
	pc.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pcs, pc)
}

func (s *PacketServer) serveDatagram(ctx context.Context, pc net.PacketConn, data []byte, addr net.Addr) {
	defer func() {
		if v := recover(); v != nil {
			s.logger().Error("handler panicked; datagram dropped", "remote", addr.String(),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	s.Handler.ServeDatagram(ctx, pc, data, addr)
}

// Shutdown stops the server gracefully: it stops reading datagrams, cancels
// the handlers' context and waits for the handlers that are running, which
// can still reply on the socket. Then it closes the socket. If ctx ends
// first, it closes the socket at once and returns ctx.Err(); otherwise nil.
func (s *PacketServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closed = true
	for pc, cancel := range s.pcs {
		// A read deadline in the past wakes Serve's ReadFrom without
		// closing the socket the running handlers reply on.
		pc.SetReadDeadline(time.Unix(1, 0))
		cancel()
	}
	s.mu.Unlock()

	err := waitGroup(ctx, &s.wg)
	s.closePCs()
	return err
}

// Close stops the server at once: it closes its sockets and cancels the
// handlers' context, without waiting for handlers. It returns the first
// error from closing a socket.
func (s *PacketServer) Close() error {
	s.mu.Lock()
	s.init()
	s.closed = true
	for _, cancel := range s.pcs {
		cancel()
	}
	s.mu.Unlock()
	return s.closePCs()
}

func (s *PacketServer) closePCs() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for pc := range s.pcs {
		if cerr := pc.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		delete(s.pcs, pc)
	}
	return err
}
