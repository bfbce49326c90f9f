// Package server is the ftp server's connection handler: one session per
// connection, speaking the messages of package proto.
//
// A [Server] holds only what all sessions share: the accounts, the data
// directory, the login limiter, and one quota counter and lock set per user
// (so that several sessions of one user draw on one quota). Everything that
// belongs to a session, its user, its home and its current directory, lives
// in the session, which exists only while its connection does.
//
// Server implements chapter 06's socketserver.Handler; socketserver.Server
// does the listening, the goroutine per connection and the shutdown.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/quota"
)

// Server serves ftp sessions. Create it with [New].
type Server struct {
	// DataDir holds the accounts file and users/<name>/ for each user.
	DataDir string
	// Accounts authenticates users.
	Accounts *accounts.Store
	// Limiter slows down repeated login failures from one address. Its
	// delay is also the fixed delay of every failed login.
	Limiter *accounts.Limiter
	// Logger receives one line per request; nil means discard.
	Logger *slog.Logger

	mu    sync.Mutex
	users map[string]*userState
}

// New returns a server for the data directory dir.
func New(dir string, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{
		DataDir:  dir,
		Accounts: accounts.Open(dir),
		Limiter:  &accounts.Limiter{},
		Logger:   logger,
	}
}

// UserDir returns the directory holding name's files.
func UserDir(dataDir, name string) string { return filepath.Join(dataDir, "users", name) }

// userState is what all sessions of one user share.
type userState struct {
	usage *quota.Usage
	// mu orders changes that move bytes in or out of the home (commit of
	// an upload, rm), so the bytes they free are counted exactly once.
	mu sync.Mutex
	// writing holds the paths with an upload in progress: one writer per
	// part file.
	writing map[string]bool
}

// user returns name's shared state, measuring its usage on first use.
func (s *Server) user(name string, limit int64, fsys *homefs.FS) (*userState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.users[name]; ok {
		st.usage.SetLimit(limit)
		return st, nil
	}
	used, err := fsys.Usage()
	if err != nil {
		return nil, err
	}
	if s.users == nil {
		s.users = make(map[string]*userState)
	}
	st := &userState{usage: quota.NewUsage(used, limit), writing: make(map[string]bool)}
	s.users[name] = st
	return st, nil
}

// Usage returns the bytes counted against name by the running server and
// its limit; ok is false if no session of name has started yet.
func (s *Server) Usage(name string) (used, limit int64, ok bool) {
	s.mu.Lock()
	st, ok := s.users[name]
	s.mu.Unlock()
	if !ok {
		return 0, 0, false
	}
	used, limit = st.usage.Get()
	return used, limit, true
}

func (st *userState) startWriting(v string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.writing[v] {
		return false
	}
	st.writing[v] = true
	return true
}

func (st *userState) doneWriting(v string) {
	st.mu.Lock()
	delete(st.writing, v)
	st.mu.Unlock()
}

// ServeConn runs one session on conn until the client quits, the
// connection fails or ctx is cancelled. It never panics on what a client
// sends; a malformed frame ends this connection only.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) {
	sess := newSession(s, conn)
	defer sess.close()
	stop := context.AfterFunc(ctx, sess.interrupt)
	defer stop()
	err := sess.run(ctx)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		sess.log.Info("session ended")
	case errors.Is(err, net.ErrClosed), ctx.Err() != nil:
		sess.log.Info("session ended by shutdown")
	default:
		sess.log.Warn("session ended", "err", err)
	}
}

func remoteHost(conn net.Conn) string {
	addr := conn.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
