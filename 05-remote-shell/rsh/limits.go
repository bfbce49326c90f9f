package rsh

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Limits of the protocol and the server's defaults.
const (
	// RawCommandSize is the most a raw (unframed) command can hold: the
	// server reads it with one read of this size, as the note's
	// recv(1024) does. Longer raw commands are cut, and the rest is read
	// as the next command; send a framed request to avoid that.
	RawCommandSize = 1024
	// MaxCommandSize is the largest framed command the server accepts.
	MaxCommandSize = 64 << 10
	// DefaultTimeLimit is each command's time limit when
	// Server.TimeLimit is zero.
	DefaultTimeLimit = 30 * time.Second
	// DefaultMaxOutput is the output cap when Server.MaxOutput is zero.
	DefaultMaxOutput = 16 << 20
)

// ErrServerBusy is what a server over its MaxConns tells a client, in
// Reply.Error, before it hangs up.
var ErrServerBusy = errors.New("server busy: too many clients, try again later")

func (s *Server) timeLimit() time.Duration {
	if s.TimeLimit > 0 {
		return s.TimeLimit
	}
	return DefaultTimeLimit
}

func (s *Server) maxOutput() int64 {
	if s.MaxOutput > 0 {
		return s.MaxOutput
	}
	return DefaultMaxOutput
}

func overLimit(n int64) string {
	return fmt.Sprintf("output limit of %d bytes exceeded", n)
}

// busyTimeout bounds the time spent telling a client that the server is
// busy.
const busyTimeout = 5 * time.Second

// refuseBusy tells a client over the MaxConns limit that the server is
// busy, and hangs up.
func (s *Server) refuseBusy(log *slog.Logger, conn net.Conn) {
	defer s.wg.Done()
	defer conn.Close()
	log.Warn("server busy; refusing client", "max_conns", s.MaxConns)
	conn.SetDeadline(time.Now().Add(busyTimeout))
	if s.sendError(conn, ErrServerBusy) != nil {
		return
	}
	// Close the sending side and read what the client sent until it
	// leaves: closing with its command unread would reset the connection,
	// and the reset could destroy the reply before the client reads it.
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, conn)
}

// budget is the output cap shared by a command's stdout and stderr.
type budget struct {
	mu   sync.Mutex
	left int64
	err  error // first error writing a spool file
	over chan struct{}
	once sync.Once
}

func newBudget(n int64) *budget { return &budget{left: n, over: make(chan struct{})} }

func (b *budget) trip() { b.once.Do(func() { close(b.over) }) }

func (b *budget) tripped() bool {
	select {
	case <-b.over:
		return true
	default:
		return false
	}
}

// spoolErr returns the first error writing a spool file, if any.
func (b *budget) spoolErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// cappedWriter writes into a spool until the shared budget runs out, then
// drops the rest. It always reports the whole write as done, so the copy
// from the pipe keeps draining and the command never blocks on a full pipe.
type cappedWriter struct {
	b *budget
	s *spool
}

func (w cappedWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	allow := min(int64(len(p)), w.b.left)
	w.b.left -= allow
	w.b.mu.Unlock()
	if allow < int64(len(p)) {
		w.b.trip()
	}
	if allow > 0 {
		n, err := w.s.f.Write(p[:allow])
		w.s.n += int64(n)
		if err != nil {
			w.b.mu.Lock()
			if w.b.err == nil {
				w.b.err = err
			}
			w.b.left = 0
			w.b.mu.Unlock()
			w.b.trip()
		}
	}
	return len(p), nil
}
