package message

import (
	"errors"
	"net"
	"time"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Close.
var ErrServerClosed = errors.New("message: server closed")

// Close stops the server at once: it closes the listener and the
// connection being served, so that Serve returns ErrServerClosed. A
// message is answered as soon as it is in, so there is nothing to let
// finish, and the server has no graceful Shutdown.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.done != nil {
		close(s.done)
	}
	var err error
	if s.ln != nil {
		err = s.ln.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	}
	if s.conn != nil {
		s.conn.Close()
	}
	return err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// trackListener records ln for Close, and reports false if the server is
// already closed.
func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	s.ln = ln
	return !s.closed
}

// trackConn records c as the connection being served (nil: none), and
// reports false if the server is already closed.
func (s *Server) trackConn(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	return !s.closed
}

// pause waits for d, and reports false if Close came first.
func (s *Server) pause(d time.Duration) bool {
	s.mu.Lock()
	done := s.done
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
