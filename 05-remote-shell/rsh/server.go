package rsh

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// ErrServerClosed is returned by [Server.Serve] after [Server.Close].
var ErrServerClosed = errors.New("rsh: server closed")

// Reasons a running command is killed, as they appear in [Reply.Killed].
var (
	errClientGone = errors.New("client disconnected")
	errShutdown   = errors.New("server shutting down")
)

// Server runs the commands its clients send. The zero value is ready to use,
// with the default limits.
type Server struct {
	// Timeout is each command's time limit; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxOutput caps each command's stdout and stderr together, in bytes;
	// zero means DefaultMaxOutput.
	MaxOutput int64
	// Unframed selects the notes' unframed protocol: raw commands in, raw
	// output out, no header (see the package doc).
	Unframed bool
	// TempDir is where output is spooled; empty means os.TempDir().
	TempDir string
	// Logger receives what the server does; nil means discard.
	Logger *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closed    bool
	ctx       context.Context // ends when Close is called
	cancel    context.CancelCauseFunc
	wg        sync.WaitGroup
}

func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Server) maxOutput() int64 {
	if s.MaxOutput > 0 {
		return s.MaxOutput
	}
	return DefaultMaxOutput
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// init sets up the server's bookkeeping; s.mu must be held.
func (s *Server) init() {
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancelCause(context.Background())
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[net.Conn]struct{}{}
	}
}

// Serve accepts connections on ln and serves each on its own goroutine, so
// a slow command never delays another client. It always returns a non-nil
// error: ErrServerClosed after Close, or the error that stopped Accept.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.init()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()

	s.logger().Info("listening", "addr", ln.Addr().String(), "unframed", s.Unframed,
		"timeout", s.timeout(), "max_output", s.maxOutput())
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			// Out of file descriptors, for instance: wait a little and
			// try again rather than stop serving everyone.
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logger().Warn("accept failed; retrying", "err", err, "delay", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return ErrServerClosed
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			}()
			s.serveConn(s.ctx, conn)
		}()
	}
}

// closeGrace is how long Close lets connections finish their last reply
// before it closes them.
const closeGrace = 5 * time.Second

// Close stops the server: it closes the listeners and kills every running
// command. Each client with a command in flight gets its reply, which says
// "server shutting down", unless that takes longer than closeGrace; then
// Close closes every connection and waits for their goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closed = true
	s.cancel(errShutdown)
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	for c := range s.conns {
		c.SetReadDeadline(time.Now()) // wake connections waiting for a command
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	grace := time.NewTimer(closeGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	return err
}

// errBadRequest marks a request the server will not run. After the error
// reply the connection goes on if the request was read to its end (a
// *refusedError) and is closed otherwise, because the stream can no longer
// be trusted.
var errBadRequest = errors.New("bad request")

// serveConn is the conversation loop of one client.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	log := s.logger().With("remote", conn.RemoteAddr().String())
	log.Info("client connected")
	br := bufio.NewReaderSize(conn, 4096)
	for {
		command, framed, err := s.readCommand(br)
		switch {
		case errors.Is(err, io.EOF):
			log.Info("client left")
			return
		case err != nil && ctx.Err() != nil:
			log.Info("closing connection: server shutting down")
			return
		case errors.Is(err, errBadRequest):
			log.Warn("bad request", "err", err)
			s.sendError(conn, err)
			if _, ok := err.(*refusedError); ok {
				continue // the whole request was read; the stream is in step
			}
			return
		case err != nil:
			log.Info("connection lost", "err", err)
			return
		}
		log.Info("running", "command", string(command), "framed", framed)
		out, err := s.runWatched(ctx, conn, br, string(command))
		if err != nil {
			log.Error("could not run command", "err", err)
			if s.sendError(conn, err) != nil {
				return
			}
			continue
		}
		log.Info("finished", "status", out.status, "stdout", out.stdout.n,
			"stderr", out.stderr.n, "killed", out.killed)
		if s.Unframed {
			log.Info("notes' extra reads of the drained pipes",
				"stderr_bytes", len(out.secondStderr.Data), "stderr_err", fmt.Sprint(out.secondStderr.Err),
				"stdout_bytes", len(out.secondStdout.Data), "stdout_err", fmt.Sprint(out.secondStdout.Err))
			err = s.sendUnframed(conn, out)
		} else {
			err = sendReply(conn, out)
		}
		out.close()
		if err != nil {
			log.Info("could not send reply", "err", err)
			return
		}
		if ctx.Err() != nil {
			log.Info("closing connection: server shutting down")
			return
		}
	}
}

// refusedError is a well-formed request that the server refuses. It was read
// to its end, so the connection goes on with the next request.
type refusedError struct{ reason string }

func (e *refusedError) Error() string        { return "bad request: " + e.reason }
func (e *refusedError) Is(target error) bool { return target == errBadRequest }

var (
	errTooLong  = &refusedError{fmt.Sprintf("command longer than %d bytes", MaxCommandSize)}
	errZeroByte = &refusedError{"command holds a zero byte"}
)

// readCommand reads the next command in either form (see the package doc).
// It returns io.EOF when the client has left between commands.
func (s *Server) readCommand(br *bufio.Reader) (cmd []byte, framed bool, err error) {
	if _, err := br.Peek(1); err != nil {
		return nil, false, err
	}
	head, _ := br.Peek(min(br.Buffered(), frame.PrefixSize))
	if s.Unframed || !looksFramed(head) {
		// The notes' way: whatever one recv(1024) returns is the command.
		buf := make([]byte, RawCommandSize)
		n, err := br.Read(buf)
		return buf[:n], false, err
	}
	h, err := frame.ReadHeader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, true, io.EOF
		}
		return nil, true, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	body := h.Body(br)
	if h.DataSize > MaxCommandSize {
		if _, err := io.Copy(io.Discard, body); err != nil {
			return nil, true, io.EOF
		}
		return nil, true, errTooLong
	}
	cmd = make([]byte, h.DataSize)
	if _, err := io.ReadFull(body, cmd); err != nil {
		return nil, true, io.EOF
	}
	if bytes.IndexByte(cmd, 0) >= 0 {
		return nil, true, errZeroByte
	}
	return cmd, true, nil
}

// looksFramed reports whether the first bytes of a request, as far as they
// have arrived, are a frame's length prefix rather than a raw command. A
// prefix of at most 64 KiB always has a zero fourth byte; a raw command never
// holds a zero byte.
func looksFramed(head []byte) bool {
	if len(head) >= frame.PrefixSize {
		return head[3] == 0
	}
	return bytes.IndexByte(head, 0) >= 0
}

// runWatched runs command while watching the connection: if the client
// disconnects before the command ends, the command is killed.
func (s *Server) runWatched(ctx context.Context, conn net.Conn, br *bufio.Reader, command string) (*outcome, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		// Peek waits for the next byte without consuming it: a byte means
		// the client is still there (it sent its next command early); an
		// error other than our own deadline means it has gone.
		if _, err := br.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel(errClientGone)
		}
	}()
	out, err := s.execute(ctx, command, s.Unframed)
	// Stop the watcher: a read deadline in the past wakes its Peek.
	conn.SetReadDeadline(time.Now())
	<-watching
	conn.SetReadDeadline(time.Time{})
	return out, err
}

// sendReply writes out as one frame: the header, then stdout, then stderr,
// streamed from the spool files.
func sendReply(conn net.Conn, out *outcome) error {
	rep := Reply{
		ExitCode:   out.exitCode,
		Status:     out.status,
		StdoutSize: out.stdout.n,
		StderrSize: out.stderr.n,
		Killed:     out.killed,
	}
	size := out.stdout.n + out.stderr.n
	body := io.MultiReader(out.stdout.reader(), out.stderr.reader())
	return frame.Write(conn, rep, size, body)
}

// sendUnframed sends out the way the notes' unframed server does: stdout,
// then stderr, then the result of the second reads, which is empty.
func (s *Server) sendUnframed(conn net.Conn, out *outcome) error {
	if _, err := io.Copy(conn, out.stdout.reader()); err != nil {
		return err
	}
	if _, err := io.Copy(conn, out.stderr.reader()); err != nil {
		return err
	}
	// The notes' third send: conn.send(cmd_res), where cmd_res is what the
	// second read of stderr returned or, if that was empty, the second read
	// of stdout. Both pipes were drained, so it is empty, and a zero-byte
	// write on TCP puts nothing on the wire.
	third := out.secondStderr.Data
	if len(third) == 0 {
		third = out.secondStdout.Data
	}
	if _, err := conn.Write(third); err != nil {
		return err
	}
	if out.killed != "" {
		// No header to carry the reason, so it goes in the text.
		_, err := fmt.Fprintf(conn, "\n[rsh: command killed: %s]\n", out.killed)
		return err
	}
	return nil
}

// sendError tells the client that its command could not be run.
func (s *Server) sendError(conn net.Conn, err error) error {
	if s.Unframed {
		_, werr := fmt.Fprintf(conn, "[rsh: %v]\n", err)
		return werr
	}
	return frame.WriteBytes(conn, Reply{ExitCode: -1, Error: err.Error()}, nil)
}
