package echo

import (
	"context"
	"net"
)

// Close stops the server at once: it closes every listener passed to Serve
// and the connection of the client being served, if any, and ends the
// context given to s.Reply. Serve then returns ErrServerClosed, and so do
// later calls of Serve and ListenAndServe. Close returns the error from
// closing the listeners.
//
// The server has no graceful Shutdown: it serves one client, for as long as
// that client likes, so there is nothing to wait for that would end.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.doneLocked())
	}
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && err == nil {
			err = cerr
		}
		delete(s.listeners, ln)
	}
	for conn := range s.conns {
		conn.Close()
	}
	return err
}

// closeContext returns a context that ends when Close is called, for
// s.Reply, and a function that releases it.
func (s *Server) closeContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	done := s.doneLocked()
	s.mu.Unlock()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (s *Server) doneLocked() chan struct{} {
	if s.done == nil {
		s.done = make(chan struct{})
	}
	return s.done
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track records ln so that Close can close it; it reports false if the
// server is already closed.
func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
}

// trackConn records a client being served so that Close can close its
// connection; it reports false if the server is already closed.
func (s *Server) trackConn(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[conn] = struct{}{}
	return true
}

func (s *Server) untrackConn(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
}
