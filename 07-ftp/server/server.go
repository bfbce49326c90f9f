// Package server serves this chapter's file-transfer protocol (package
// proto) on the storage core (package store).
//
// Each connection becomes a session: a login, then one request after
// another until the client quits. A session is a script over two seams:
// proto.Conn, which reads requests and writes replies, and store.Home,
// which owns the user's files, quota and uploads. What sessions share (the
// store, the accounts, the login limiter, the gate that admits
// connections) lives in the [Server], and may be shared in turn with
// another front end of the same data.
//
// A Server has the shape of net/http.Server; chapter 06's socketserver
// does the accepting, the goroutine per connection and the shutdown, and
// calls [Server.ServeConn] for each connection.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/socketserver"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

// ServeConn runs one session on conn until the client quits, the
// connection fails or ctx is cancelled (a shutdown: a session waiting for
// a request ends at once, one in the middle of a transfer when it is
// done). It never panics on what a client sends; a malformed frame ends
// this connection only.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) {
	if err := s.init(); err != nil {
		s.log.Error("cannot serve", "err", err)
		return
	}
	remote := conn.RemoteAddr().String()
	ticket, err := s.Gate.Arrive(remoteHost(remote))
	if err != nil {
		s.log.Info("connection refused", "remote", remote, "err", err)
		refuse(conn, proto.CodeBusy, err.Error())
		return
	}
	defer ticket.Leave()
	// The whole login, the TLS handshake included, must end by then,
	// however slowly the client sends its bytes.
	deadline := time.Now().Add(orDefault(s.LoginTimeout, 30*time.Second))
	conn, err = s.handshake(conn, deadline)
	if err != nil {
		s.log.Info("connection refused", "remote", remote, "err", err)
		return
	}
	sess := s.newSession(conn, remote, ticket)
	sess.pc.SetDeadline(deadline)
	defer sess.close()
	stop := context.AfterFunc(ctx, sess.pc.Interrupt)
	defer stop()
	err = sess.run()
	switch {
	case err == nil, errors.Is(err, io.EOF):
		sess.log.Info("session ended")
	case sess.pc.Interrupted(), errors.Is(err, net.ErrClosed):
		sess.log.Info("session ended by shutdown")
	case errors.Is(err, os.ErrDeadlineExceeded):
		sess.log.Info("session dropped", "err", err)
	default:
		sess.log.Warn("session ended", "err", err)
	}
}

// DefaultAddr is where a Server listens when Addr is empty.
const DefaultAddr = "127.0.0.1:2121"

// DefaultDataDir is the data directory of a Server whose DataDir is empty.
const DefaultDataDir = "ftp-data"

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown
// or Close.
var ErrServerClosed = errors.New("server: server closed")

// Server serves ftp sessions. The zero value serves ./ftp-data on
// 127.0.0.1:2121 with no limits. Fields must not be changed once the
// server has started.
type Server struct {
	// Addr is where ListenAndServe listens; "" means DefaultAddr.
	Addr string
	// DataDir holds the accounts file and the users' directories; ""
	// means DefaultDataDir. It is used for Store and Accounts when they
	// are nil.
	DataDir string
	// Store is the storage core, shared with any other front end of the
	// same data; nil means open DataDir (and close it on Shutdown/Close).
	Store *store.Store
	// Accounts authenticates users; nil means the accounts of DataDir.
	Accounts *accounts.Store
	// Limiter slows down repeated login failures; nil means a Limiter
	// with its default delays.
	Limiter *accounts.Limiter
	// Logger receives one line per request; nil means discard.
	Logger *slog.Logger
	// TLS, if set, makes every connection start with a TLS 1.3 handshake
	// (a plaintext client is told "this server requires TLS"); if nil, a
	// client that starts a TLS handshake is told this server does not
	// speak TLS.
	TLS *tls.Config

	// Gate admits connections and sessions within its limits (overall,
	// per address before login, per user), shared with any other front
	// end; nil means no limits. A connection or login over a limit is told
	// "server busy" in one line.
	Gate *gate.Gate

	// LoginTimeout bounds a whole login, from the first byte to the last
	// reply, TLS handshake included; zero means 30 s. A client that has
	// not logged in by then is dropped, however it paces its bytes.
	LoginTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake, or the wait for the first
	// bytes that tell TLS from plaintext; zero means 10 s.
	HandshakeTimeout time.Duration
	// HeaderTimeout bounds each request's header once its first byte has
	// arrived; zero means 10 s.
	HeaderTimeout time.Duration
	// IdleTimeout drops a client that sends nothing for this long, between
	// requests or in the middle of an upload, and tells it why; zero means
	// never.
	IdleTimeout time.Duration
	// WriteTimeout drops a client that reads nothing of what the server
	// sends for this long; zero means one minute.
	WriteTimeout time.Duration
	// BusyWait is how long a put waits for another session's upload of
	// the same file to end before it answers "busy" (a client that was
	// interrupted and reconnects at once finds the old session still
	// letting go); zero means 3 s.
	BusyWait time.Duration
	// PartMaxAge, if positive, removes part files not written for this
	// long: once when serving starts, then every quarter of the age.
	PartMaxAge time.Duration

	initOnce sync.Once
	initErr  error
	log      *slog.Logger
	ownStore bool
	ss       socketserver.Server
	stop     context.CancelFunc // ends the part cleaner

}

// init fills in the defaults of the zero value, once.
func (s *Server) init() error {
	s.initOnce.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		dir := s.DataDir
		if dir == "" {
			dir = DefaultDataDir
		}
		if s.Accounts == nil {
			s.Accounts = accounts.Open(dir)
		}
		if s.Limiter == nil {
			s.Limiter = &accounts.Limiter{}
		}
		if s.Store == nil {
			s.Store, s.initErr = store.Open(dir)
			s.ownStore = s.initErr == nil
		}
		if s.Gate == nil {
			s.Gate = &gate.Gate{}
		}
		s.ss = socketserver.Server{Handler: s, Logger: s.Logger}
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		if s.initErr == nil && s.PartMaxAge > 0 {
			go s.cleanParts(ctx)
		}
	})
	return s.initErr
}

// refuse answers a connection the server does not take on in the
// protocol's own words, so the client prints one clear line, and closes
// it without waiting long for a client that does not read.
func refuse(conn net.Conn, code, msg string) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	proto.Refuse(conn, code, msg)
	tlsconf.CloseAfterWrite(conn)
}

// orDefault returns d, or def if d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ListenAndServe listens on Addr and calls Serve. It always returns a
// non-nil error.
func (s *Server) ListenAndServe() error {
	if err := s.init(); err != nil {
		return err
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

// Serve accepts connections on ln and serves each on its own goroutine.
// It always returns a non-nil error: ErrServerClosed after Shutdown or
// Close.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.init(); err != nil {
		ln.Close()
		return err
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "data", s.Store.Dir(), "tls", s.TLS != nil)
	err := s.ss.Serve(ln)
	if errors.Is(err, socketserver.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// Shutdown stops accepting, ends the sessions waiting for a request and
// lets those in the middle of a transfer finish, until ctx ends; then it
// closes them (an interrupted upload keeps its part file) and returns
// ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	err := s.ss.Shutdown(ctx)
	s.release()
	return err
}

// Close stops the server at once: listeners and connections.
func (s *Server) Close() error {
	s.init()
	err := s.ss.Close()
	s.release()
	return err
}

// release stops the part cleaner and closes a store the server opened.
func (s *Server) release() {
	s.stop()
	if s.ownStore {
		s.Store.Close()
	}
}

// cleanParts removes abandoned part files now and every quarter of
// PartMaxAge until ctx ends.
func (s *Server) cleanParts(ctx context.Context) {
	t := time.NewTicker(max(s.PartMaxAge/4, time.Minute))
	defer t.Stop()
	for {
		for _, c := range s.Store.CleanParts(s.PartMaxAge) {
			s.log.Info("removed abandoned part files", "user", c.User, "count", c.Count, "bytes", c.Bytes, "older_than", s.PartMaxAge)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handshake runs TLS on conn, or checks that the client does not expect
// it, within HandshakeTimeout and before deadline; a client of the wrong
// kind is told so in one line.
func (s *Server) handshake(conn net.Conn, deadline time.Time) (net.Conn, error) {
	timeout := min(orDefault(s.HandshakeTimeout, 10*time.Second), time.Until(deadline))
	if s.TLS != nil {
		return tlsconf.Accept(conn, s.TLS, timeout, proto.RefuseTLS)
	}
	return tlsconf.RefuseTLS(conn, timeout, proto.RefuseTLS)
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
