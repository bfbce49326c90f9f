package echo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// DefaultAddr is the address the notes use: the loopback interface, port 8080.
const DefaultAddr = "127.0.0.1:8080"

// BufSize is the most bytes the server reads in one call, like the notes'
// conn.recv(1024). Each read is one "message" to the server (claim T11).
const BufSize = 1024

// ErrServerClosed is returned by [Server.Serve] and [Server.ListenAndServe]
// after a call to [Server.Close].
var ErrServerClosed = errors.New("echo: server closed")

// ErrOperatorGone is returned by [Server.Serve] in interactive mode when the
// operator's input ends, so no further reply can be typed.
var ErrOperatorGone = errors.New("echo: operator input ended")

// Server is a TCP echo server that serves one client at a time, as the
// notes' server does; chapter 06 serves many at once.
//
// The zero value is a working echo server on [DefaultAddr]. A Server must not
// be copied after first use.
type Server struct {
	// Addr is the address ListenAndServe listens on; empty means DefaultAddr.
	Addr string

	// Logger receives a record for each connection, each message and each
	// disconnect. Nil means discard.
	Logger *slog.Logger

	// Operator, if non-nil, turns on interactive mode, as in the notes: the
	// reply to each message is the next non-blank line read from Operator
	// (newline included) instead of the message itself.
	Operator io.Reader

	// Prompt, if non-nil in interactive mode, is shown each client message
	// and asked for the reply.
	Prompt io.Writer

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{} // the client each Serve call is serving
	closed    bool
	done      chan struct{} // closed by Close

	operatorOnce sync.Once
	replies      chan operatorLine
}

type operatorLine struct {
	text []byte
	err  error
}

// ListenAndServe listens on s.Addr and then calls Serve. It always returns a
// non-nil error; after Close it returns ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln and serves them one after another: while
// one client is connected, the next waits in ln's accept queue (claim T12).
// A client that leaves in any way (closing, resetting, crashing) ends only its
// own conversation (claims T6 and T7).
//
// Serve always returns a non-nil error and closes ln. After Close it returns
// ErrServerClosed; in interactive mode it returns ErrOperatorGone when the
// operator's input ends.
func (s *Server) Serve(ln net.Listener) error {
	defer ln.Close()
	if !s.track(ln) {
		return ErrServerClosed
	}
	defer s.untrack(ln)

	log := s.logger()
	log.Info("listening", "addr", ln.Addr().String())
	var delay time.Duration
	for { // The connection loop: one client after another.
		conn, err := ln.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if !retryable(err) {
				return err
			}
			// Out of file descriptors or memory: wait and try again
			// rather than give up on every future client.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Warn("accept failed; retrying", "err", err, "delay", delay)
			select {
			case <-time.After(delay):
			case <-s.doneChan():
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		if !s.trackConn(conn) {
			conn.Close()
			return ErrServerClosed
		}
		clog := log.With("remote", conn.RemoteAddr().String())
		clog.Info("connected")
		err = s.converse(conn, clog)
		conn.Close()
		s.untrackConn(conn)
		switch {
		case errors.Is(err, io.EOF):
			clog.Info("disconnected", "reason", "closed by client")
		case errors.Is(err, syscall.ECONNRESET):
			clog.Info("disconnected", "reason", "reset by client")
		case s.shuttingDown():
			clog.Info("disconnected", "reason", "server closing")
			return ErrServerClosed
		case errors.Is(err, ErrOperatorGone):
			clog.Info("disconnected", "reason", "operator input ended")
			return err
		default:
			clog.Warn("disconnected", "reason", "error", "err", err)
		}
	}
}

// converse is the conversation loop with one client. It returns the error
// that ended it, io.EOF when the client closed the connection.
func (s *Server) converse(conn net.Conn, log *slog.Logger) error {
	buf := make([]byte, BufSize)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			msg := buf[:n]
			log.Info("message", "bytes", n, "text", string(msg))
			reply := msg
			if s.Operator != nil {
				reply, err = s.operatorReply(conn.RemoteAddr(), msg)
				if err != nil {
					return err
				}
			}
			if _, err := conn.Write(reply); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
}

// operatorReply shows msg on s.Prompt and waits for the operator's reply.
func (s *Server) operatorReply(from net.Addr, msg []byte) ([]byte, error) {
	s.operatorOnce.Do(func() {
		s.replies = make(chan operatorLine)
		go s.readOperator(s.doneChan())
	})
	if s.Prompt != nil {
		fmt.Fprintf(s.Prompt, "%s sent %q\nreply> ", from, msg)
	}
	select {
	case line := <-s.replies:
		return line.text, line.err
	case <-s.doneChan():
		return nil, ErrServerClosed
	}
}

// readOperator reads the operator's lines and hands them to operatorReply
// until the input ends or the server closes. Blank lines are skipped: sending
// no bytes sends nothing, and the client would wait forever (claim T4).
func (s *Server) readOperator(done <-chan struct{}) {
	r := bufio.NewReader(s.Operator)
	for {
		text, err := r.ReadBytes('\n')
		var line operatorLine
		switch {
		case len(bytes.TrimSpace(text)) > 0:
			if text[len(text)-1] != '\n' {
				text = append(text, '\n')
			}
			line.text = text
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			line.err = ErrOperatorGone
		default:
			line.err = fmt.Errorf("%w: %w", ErrOperatorGone, err)
		}
		select {
		case s.replies <- line:
		case <-done:
			return
		}
		if err != nil {
			// Report the end of input to every later message too.
			for {
				select {
				case s.replies <- operatorLine{err: ErrOperatorGone}:
				case <-done:
					return
				}
			}
		}
	}
}

// Close closes every listener passed to Serve and the connection of the
// client being served, if any. Serve then returns ErrServerClosed. Close
// returns the error from closing the listeners.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		if s.done == nil {
			s.done = make(chan struct{})
		}
		close(s.done)
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

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) doneChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
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

// retryable reports whether an Accept error is a shortage that may pass.
func retryable(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
