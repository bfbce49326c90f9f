package udpecho

import (
	"context"
	"net"
)

// Close closes every PacketConn that Serve is using and ends the context
// given to s.Reply, which makes Serve return ErrServerClosed. Later calls to
// Serve and ListenAndServe return ErrServerClosed at once. Close returns the
// first error from closing a PacketConn.
//
// UDP has no connections to wait for, so there is no graceful Shutdown.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var err error
	for pc, cancel := range s.conns {
		cancel()
		if cerr := pc.Close(); cerr != nil && err == nil {
			err = cerr
		}
		delete(s.conns, pc)
	}
	return err
}

// track registers pc, and cancel, which ends the context of the Serve call
// using it, so that Close can close both. It reports false if the server is
// already closed.
func (s *Server) track(pc net.PacketConn, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.PacketConn]context.CancelFunc)
	}
	s.conns[pc] = cancel
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
