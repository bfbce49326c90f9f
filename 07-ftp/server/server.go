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
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/quota"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
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
	// MaxUserSessions caps the sessions one user may have at once; zero
	// means no cap. A login over it is told "server busy".
	MaxUserSessions int
	// TLS, if set, makes every connection start with a TLS 1.3 handshake
	// (a plaintext client is told "this server requires TLS"); if nil, a
	// client that starts a TLS handshake is told this server does not
	// speak TLS.
	TLS *tls.Config
	// HandshakeTimeout bounds the TLS handshake, or the wait for the first
	// bytes that tell TLS from plaintext; zero means 10 s.
	HandshakeTimeout time.Duration
	// IdleTimeout is what a session that is dropped for silence is told
	// (the dropping itself is socketserver's IdleTimeout); zero means the
	// message gives no figure.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write of a download, so a client that stops
	// reading is dropped; zero means one minute.
	WriteTimeout time.Duration
	// WrapPartWriter, if set, wraps the writer of every upload's part file.
	// Tests use it to make writes fail as on a full disk.
	WrapPartWriter func(io.Writer) io.Writer

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
	// changed is closed and replaced whenever writing shrinks.
	changed chan struct{}
	// sessions counts the user's sessions.
	sessions int
}

// enter counts a new session of the user unless it already has max (zero
// means no limit).
func (st *userState) enter(max int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if max > 0 && st.sessions >= max {
		return false
	}
	st.sessions++
	return true
}

func (st *userState) leave() {
	st.mu.Lock()
	st.sessions--
	st.mu.Unlock()
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
	st := &userState{usage: quota.NewUsage(used, limit), writing: make(map[string]bool), changed: make(chan struct{})}
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
	close(st.changed)
	st.changed = make(chan struct{})
	st.mu.Unlock()
}

// WaitUploads waits until no session of name is writing a part file, or ctx
// ends. Tests use it to know that an interrupted upload has let go of its
// part before they resume it.
func (s *Server) WaitUploads(ctx context.Context, name string) error {
	s.mu.Lock()
	st, ok := s.users[name]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	for {
		st.mu.Lock()
		n, ch := len(st.writing), st.changed
		st.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// CleanParts removes every user's part files that have not been written
// for maxAge, except those being written now, and returns how many it
// removed. A user whose usage the server counts gets the bytes back.
func (s *Server) CleanParts(maxAge time.Duration) int {
	dirs, err := os.ReadDir(filepath.Join(s.DataDir, "users"))
	if err != nil {
		return 0
	}
	total := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		name := d.Name()
		fsys, err := homefs.Open(UserDir(s.DataDir, name))
		if err != nil {
			continue
		}
		s.mu.Lock()
		st := s.users[name]
		s.mu.Unlock()
		busy := func(string) bool { return false }
		if st != nil {
			// Hold the user's lock so that no upload starts on a part
			// while it is being removed.
			st.mu.Lock()
			busy = func(part string) bool {
				for v := range st.writing {
					if homefs.PartName(v) == part {
						return true
					}
				}
				return false
			}
		}
		n, freed := fsys.CleanParts(maxAge, time.Now(), busy)
		if st != nil {
			st.mu.Unlock()
			st.usage.Release(freed)
		}
		fsys.Close()
		if n > 0 {
			s.Logger.Info("removed abandoned part files", "user", name, "count", n, "bytes", freed, "older_than", maxAge)
		}
		total += n
	}
	return total
}

// ServeConn runs one session on conn until the client quits, the
// connection fails or ctx is cancelled. It never panics on what a client
// sends; a malformed frame ends this connection only.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) {
	timeout := s.HandshakeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	remote := conn.RemoteAddr().String()
	var err error
	if s.TLS != nil {
		conn, err = tlsconf.Accept(conn, s.TLS, timeout)
	} else {
		conn, err = tlsconf.RefuseTLS(conn, timeout)
	}
	if err != nil {
		s.Logger.Info("connection refused", "remote", remote, "err", err)
		return
	}
	sess := newSession(s, conn)
	defer sess.close()
	stop := context.AfterFunc(ctx, sess.interrupt)
	defer stop()
	err = sess.run(ctx)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		sess.log.Info("session ended")
	case errors.Is(err, net.ErrClosed), ctx.Err() != nil:
		sess.log.Info("session ended by shutdown")
	case errors.Is(err, os.ErrDeadlineExceeded):
		sess.log.Info("session dropped", "err", err)
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
