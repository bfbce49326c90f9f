package socketserver

import (
	"context"
	"errors"
	"net"
	"sync"
)

// ErrServerClosed is returned by Serve and ListenAndServe (of Server and
// PacketServer) after Shutdown or Close.
var ErrServerClosed = errors.New("socketserver: server closed")

// The server keeps books of its listeners and connections so that Shutdown
// and Close can reach them, and counts the goroutines it starts so that
// Shutdown can wait for them.

// init prepares the server's books; s.mu must be held.
func (s *Server) init() {
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]context.CancelFunc)
		s.conns = make(map[net.Conn]struct{})
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

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// start records conn and starts the goroutine that serves it, or that
// tells it the server is busy when MaxConns are already served (limit.go).
// The record and the WaitGroup's count are made under s.mu, so Shutdown
// never starts waiting while a goroutine is still about to be counted.
func (s *Server) start(ctx context.Context, conn net.Conn) {
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

// forget closes conn and removes it from the books.
func (s *Server) forget(conn net.Conn, served bool) {
	conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
	if served {
		s.active--
	}
}

// ActiveConns reports how many connections the Handler is serving now
// (connections over the limit are not counted).
func (s *Server) ActiveConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
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

	if err := waitGroup(ctx, &s.wg); err != nil {
		s.closeConns()
		return err
	}
	return nil
}

// waitGroup waits for wg, or until ctx ends; then it returns ctx.Err().
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
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
