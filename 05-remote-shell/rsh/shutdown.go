package rsh

import (
	"context"
	"errors"
	"net"
	"time"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Close or
// Shutdown.
var ErrServerClosed = errors.New("rsh: server closed")

// KilledByShutdown is Reply.Killed for a command that the server killed
// because it was shutting down.
const KilledByShutdown = "server shutting down"

// Reasons a running command is killed, as they appear in Reply.Killed.
var (
	errShutdown   = errors.New(KilledByShutdown)
	errClientGone = errors.New("client disconnected")
)

// Shutdown stops the server gracefully. It closes the listeners and hangs
// up on every client that is waiting for its next command at once; a
// command already running may finish, and its client gets the reply. When
// ctx ends first, Shutdown kills the commands still running, and each of
// their clients gets a reply whose Killed field says "server shutting
// down". It returns once every connection is closed: nil, or ctx.Err()
// when the commands had to be killed.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.stop()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel(errShutdown) // nothing runs any more: this only releases the context
		return err
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.logger().Info("grace over; killing the running commands", "clients", len(s.conns))
	s.cancel(errShutdown)
	for c := range s.conns {
		// The last reply: the time a killed command may take to let go of
		// its pipes, and a second to send.
		c.SetWriteDeadline(time.Now().Add(killGrace + time.Second))
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// Close stops the server at once: it closes the listeners and every
// connection and kills every running command, then waits until they are
// gone. Clients get no reply.
func (s *Server) Close() error {
	err := s.stop()
	s.mu.Lock()
	s.cancel(errShutdown)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// stop marks the server as shutting down, closes its listeners and wakes
// every connection that waits for a command.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.closing)
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	for c := range s.conns {
		c.SetReadDeadline(time.Now())
	}
	s.logger().Info("shutting down", "clients", len(s.conns))
	return err
}

// init sets up the server's bookkeeping; s.mu must be held.
func (s *Server) init() {
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancelCause(context.Background())
		s.closing = make(chan struct{})
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[net.Conn]struct{}{}
	}
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// trackListener adds ln to the listeners Shutdown closes, or removes it,
// and reports false if the server is already shutting down.
func (s *Server) trackListener(ln net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if add {
		s.listeners[ln] = struct{}{}
	} else {
		delete(s.listeners, ln)
	}
	return !s.closed
}

// trackConn counts the goroutine that will handle c in s.wg, and adds c to
// the connections being served unless the server is full. It reports
// whether the server is full, and false in ok if it is shutting down, in
// which case nothing is counted.
func (s *Server) trackConn(c net.Conn) (full, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, false
	}
	s.wg.Add(1) // before closed is set, so before Shutdown waits
	if s.MaxConns > 0 && len(s.conns) >= s.MaxConns {
		return true, true
	}
	s.conns[c] = struct{}{}
	return false, true
}

// untrackConn is the end of a connection's goroutine.
func (s *Server) untrackConn(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// awaitCommand readies conn to wait for the next command: it sets the idle
// deadline, and reports false if the server is shutting down. The check
// and the deadline are one step under s.mu, so that a Shutdown either
// comes first and is seen, or comes after and its wake-up deadline wins.
func (s *Server) awaitCommand(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	var deadline time.Time
	if s.IdleTimeout > 0 {
		deadline = time.Now().Add(s.IdleTimeout)
	}
	conn.SetReadDeadline(deadline)
	return true
}

// commands returns the context that the running commands share: it ends,
// killing them, when Shutdown's grace is over or Close is called.
func (s *Server) commands() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.ctx
}

// pause waits for d, and reports false if the server started shutting
// down first.
func (s *Server) pause(d time.Duration) bool {
	s.mu.Lock()
	s.init()
	closing := s.closing
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-closing:
		return false
	}
}
