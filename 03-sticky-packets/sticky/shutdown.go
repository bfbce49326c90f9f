package sticky

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// track holds what a Server has open, so that Close and Shutdown can end it.
type track struct {
	mu        sync.Mutex
	closed    bool
	done      chan struct{} // closed by Close and Shutdown
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	idle      chan struct{} // signalled when the last connection is removed
}

func (t *track) init() {
	if t.done == nil {
		t.done = make(chan struct{})
		t.listeners = map[net.Listener]struct{}{}
		t.conns = map[net.Conn]struct{}{}
		t.idle = make(chan struct{}, 1)
	}
}

// add records v in the set that sets picks; it reports false if the server is
// already closed.
func add[T comparable](t *track, set func(*track) map[T]struct{}, v T) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if t.closed {
		return false
	}
	set(t)[v] = struct{}{}
	return true
}

func (t *track) addListener(ln net.Listener) bool {
	return add(t, func(t *track) map[net.Listener]struct{} { return t.listeners }, ln)
}

func (t *track) addConn(c net.Conn) bool {
	return add(t, func(t *track) map[net.Conn]struct{} { return t.conns }, c)
}

func (t *track) removeListener(ln net.Listener) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.listeners, ln)
	ln.Close()
}

func (t *track) removeConn(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
	c.Close()
	if len(t.conns) == 0 {
		select {
		case t.idle <- struct{}{}:
		default:
		}
	}
}

// closing reports whether Close or Shutdown has been called.
func (t *track) closing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// pause waits for d; it reports false if the server was closed meanwhile.
func (t *track) pause(d time.Duration) bool {
	t.mu.Lock()
	t.init()
	done := t.done
	t.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}

// stop marks the server closed and closes its listeners; it returns how many
// connections are still open.
func (t *track) stop() (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if !t.closed {
		t.closed = true
		close(t.done)
	}
	var errs []error
	for ln := range t.listeners {
		errs = append(errs, ln.Close())
		delete(t.listeners, ln)
	}
	return len(t.conns), errors.Join(errs...)
}

// Close stops the server at once: it closes the listeners and the connection
// being served. Serve then returns ErrServerClosed.
func (s *Server) Close() error {
	_, err := s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	return err
}

// Shutdown stops accepting and waits for the client being served to finish. If
// ctx ends first, it closes that connection and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	open, err := s.stop()
	for open > 0 {
		select {
		case <-s.idle:
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		}
		s.mu.Lock()
		open = len(s.conns)
		s.mu.Unlock()
	}
	return err
}
