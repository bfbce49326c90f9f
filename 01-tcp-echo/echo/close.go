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
	s.closed = true
	var err error
	for ln, cancel := range s.listeners {
		cancel()
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

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track records ln, and cancel, which ends the context of the Serve call
// using it, so that Close can close both; it reports false if the server is
// already closed.
func (s *Server) track(ln net.Listener, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]context.CancelFunc)
	}
	s.listeners[ln] = cancel
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
