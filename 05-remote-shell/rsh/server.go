package rsh

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// Server runs the commands its clients send. The zero value is ready to
// use, with the default limits.
type Server struct {
	// Addr is where ListenAndServe listens; empty means DefaultAddr.
	Addr string
	// AllowRemote lets ListenAndServe listen on an address other than
	// loopback (see Listen).
	AllowRemote bool
	// Logger receives what the server does; nil means discard.
	Logger *slog.Logger

	// TimeLimit is each command's time limit; zero means DefaultTimeLimit.
	TimeLimit time.Duration
	// MaxOutput caps each command's stdout and stderr together, in bytes;
	// zero means DefaultMaxOutput.
	MaxOutput int64
	// IdleTimeout drops a client that sends no command for this long;
	// zero means never.
	IdleTimeout time.Duration
	// MaxConns is the most clients served at once; zero means no limit.
	// Others are told "server busy" and hung up on.
	MaxConns int
	// Unframed selects the note's unframed protocol: raw commands in, raw
	// output out, no header (see the package doc and unframed.go).
	Unframed bool
	// TempDir is where output is spooled; empty means os.TempDir().
	TempDir string

	mu        sync.Mutex // guards the fields below; see shutdown.go
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closed    bool
	closing   chan struct{}   // closed when the server starts shutting down
	ctx       context.Context // the commands' context: ends when they must die
	cancel    context.CancelCauseFunc
	wg        sync.WaitGroup // one per connection
}

// Serve accepts connections on ln and serves each on its own goroutine, so
// a slow command never delays another client. It always returns a non-nil
// error and closes ln: ErrServerClosed after Close or Shutdown, or the
// error that stopped Accept.
func (s *Server) Serve(ln net.Listener) error {
	defer ln.Close()
	if !s.trackListener(ln, true) {
		return ErrServerClosed
	}
	defer s.trackListener(ln, false)
	log := s.logger()
	log.Info("listening", "addr", ln.Addr().String(), "unframed", s.Unframed,
		"time_limit", s.timeLimit(), "max_output", s.maxOutput())
	var delay time.Duration
	for { // the connection loop
		conn, err := ln.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if !temporary(err) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Warn("accept failed; retrying", "err", err, "delay", delay)
			if !s.pause(delay) {
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		full, ok := s.trackConn(conn) // counts the goroutine below in s.wg
		switch {
		case !ok:
			conn.Close()
			return ErrServerClosed
		case full:
			go s.refuseBusy(log.With("remote", conn.RemoteAddr().String()), conn)
		default:
			go func() {
				clog := log.With("remote", conn.RemoteAddr().String())
				clog.Info("client connected")
				err := s.serveConn(clog, conn)
				conn.Close()
				s.untrackConn(conn)
				logEnd(clog, err)
			}()
		}
	}
}

// serveConn is the conversation loop of one client: read a command, run
// it, send the reply, until the client leaves. It returns why the
// conversation ended: io.EOF when the client left, errShutdown,
// os.ErrDeadlineExceeded when the client was idle too long, or the error
// that broke the connection.
func (s *Server) serveConn(log *slog.Logger, conn net.Conn) error {
	br := bufio.NewReaderSize(conn, 4096)
	for {
		if !s.awaitCommand(conn) {
			return errShutdown
		}
		command, framed, err := s.readCommand(br)
		switch {
		case errors.Is(err, io.EOF):
			return io.EOF
		case err != nil && s.shuttingDown():
			return errShutdown
		case errors.Is(err, errBadRequest):
			log.Warn("bad request", "err", err)
			if werr := s.sendError(conn, err); werr != nil {
				return werr
			}
			if _, ok := err.(*refusedError); ok {
				continue // the whole request was read; the stream is in step
			}
			return err
		case err != nil:
			return err
		}

		log.Info("running", "command", string(command), "framed", framed)
		out, err := s.runWatched(conn, br, string(command))
		if err != nil {
			log.Error("could not run command", "err", err)
			if err := s.sendError(conn, err); err != nil {
				return err
			}
			continue
		}
		log.Info("finished", "status", out.status, "stdout", out.stdout.n,
			"stderr", out.stderr.n, "killed", out.killed)
		if s.Unframed {
			err = s.sendUnframed(log, conn, out)
		} else {
			err = sendReply(conn, out)
		}
		out.close()
		if err != nil {
			return err
		}
	}
}

// logEnd logs why a conversation ended, once the connection is closed and
// no longer counts against MaxConns.
func logEnd(log *slog.Logger, err error) {
	switch {
	case errors.Is(err, io.EOF):
		log.Info("client left")
	case errors.Is(err, errShutdown):
		log.Info("closing connection: server shutting down")
	case errors.Is(err, os.ErrDeadlineExceeded):
		log.Info("client idle; closing connection")
	case errors.Is(err, errBadRequest):
		log.Info("closing connection after a bad request")
	default:
		log.Info("connection lost", "err", err)
	}
}

// ListenAndServe listens on s.Addr, loopback only unless s.AllowRemote is
// set, and serves. It always returns a non-nil error: ErrServerClosed
// after Close or Shutdown.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := Listen(context.Background(), addr, s.AllowRemote)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// DefaultAddr is where a Server listens when its Addr is empty: the note's
// address.
const DefaultAddr = "127.0.0.1:8080"

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
