// Package ftpserver serves standard FTP (RFC 959, with the extensions
// clients expect: RFC 2389 FEAT, RFC 2428 EPSV, RFC 3659 SIZE/MDTM/REST
// STREAM/MLST/MLSD, RFC 4217 AUTH TLS) on the storage core of this
// chapter, beside the chapter's own protocol: the same accounts, homes,
// quotas, session limits and login limiter, so curl, lftp, FileZilla and
// Python's ftplib reach the same files as the chapter's ftp client.
//
// FTP is a text protocol with two connections. The control connection
// carries command lines ("RETR a.txt\r\n") and numbered replies ("150
// ...", "226 ..."); every file and every listing travels on a data
// connection of its own, which the client opens to a port the server
// names in its reply to PASV or EPSV. The files of this package follow
// that split:
//
//	server.go    the Server: listening, sessions, shutdown
//	control.go   the control connection: lines in, replies out, deadlines
//	parse.go     one command line into a verb and an argument
//	session.go   the login and the command table
//	files.go     the commands that work on names: CWD, MKD, DELE, RNFR ...
//	data.go      passive data connections: ports, the same-address check
//	transfer.go  RETR, STOR, APPE and the listings over a data connection
//	abort.go     ABOR in the middle of a transfer
//	list.go      the listing formats: LIST (ls -l), NLST, MLSD/MLST facts
//	tls.go       AUTH TLS, PBSZ, PROT and TLS on data connections
//	errors.go    the store's errors as FTP replies
//
// A Server has the shape of the chapter's server.Server; chapter 06's
// socketserver accepts the control connections and runs each session on
// its own goroutine.
package ftpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/socketserver"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// DefaultAddr is where the FTP listener of ftpd listens by default.
const DefaultAddr = "127.0.0.1:2021"

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("ftpserver: server closed")

// Server serves FTP sessions on a store. Store and Accounts must be set;
// the other fields have working zero values. Fields must not be changed
// once the server has started.
type Server struct {
	// Store holds the homes; it is shared with the chapter's own server.
	Store *store.Store
	// Accounts checks passwords against the stored SCRAM keys.
	Accounts *accounts.Store
	// Limiter slows down repeated login failures; share it with the
	// chapter's server so that guesses count across both protocols. nil
	// means a Limiter of its own with the default delays.
	Limiter *accounts.Limiter
	// Gate admits connections and sessions within its limits, shared
	// with the chapter's server; nil means no limits.
	Gate *gate.Gate
	// Logger receives the server's lines; nil means discard.
	Logger *slog.Logger
	// TLS, if set, is offered with AUTH TLS and then required: a client
	// must secure the control connection before USER, and ask for
	// protected data connections (PROT P) before any transfer.
	TLS *tls.Config

	// PasvPorts is the range that passive data connections listen on;
	// the zero value lets the kernel pick a port.
	PasvPorts PortRange

	// LoginTimeout bounds the whole login, from connecting to the reply
	// to PASS, TLS handshake included; zero means 30 s.
	LoginTimeout time.Duration
	// LineTimeout bounds each command line once its first byte has
	// arrived: a client that trickles a line is dropped; zero means 10 s.
	LineTimeout time.Duration
	// IdleTimeout drops a logged-in client that sends no command for this
	// long; zero means never.
	IdleTimeout time.Duration
	// WriteTimeout drops a client that reads nothing of a reply or a
	// download for this long; zero means one minute.
	WriteTimeout time.Duration
	// DataTimeout bounds the wait for the client to open a data
	// connection, and each read of an upload; zero means 30 s.
	DataTimeout time.Duration
	// BusyWait is how long an upload waits for another session's upload
	// of the same file to end before it answers 450; zero means 3 s.
	BusyWait time.Duration

	initOnce sync.Once
	log      *slog.Logger
	ss       socketserver.Server

	mu    sync.Mutex
	data  map[net.Conn]struct{} // open data connections, closed by Close
	ports map[int]bool          // ports of PasvPorts in use
}

// PortRange is a range of TCP ports, both ends included.
type PortRange struct{ Low, High int }

// ParsePortRange parses "LOW-HIGH"; "" is the zero range (any port).
func ParsePortRange(s string) (PortRange, error) {
	if s == "" {
		return PortRange{}, nil
	}
	lo, hi, ok := strings.Cut(s, "-")
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || l < 1 || h > 65535 || l > h {
		return PortRange{}, fmt.Errorf("port range %q: want LOW-HIGH, 1 <= LOW <= HIGH <= 65535", s)
	}
	return PortRange{l, h}, nil
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		if s.Limiter == nil {
			s.Limiter = &accounts.Limiter{}
		}
		if s.Gate == nil {
			s.Gate = &gate.Gate{}
		}
		s.data = make(map[net.Conn]struct{})
		s.ports = make(map[int]bool)
		s.ss = socketserver.Server{Handler: s, Logger: s.Logger}
	})
}

// CheckAddr refuses to serve FTP in clear on an address other machines
// can reach: without TLS, USER and PASS cross the network as they are
// typed. It returns nil for a loopback address, or whenever tlsOn.
func CheckAddr(addr string, tlsOn bool) error {
	if tlsOn {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-ftp-addr %s is not a loopback address, and FTP without TLS sends passwords in clear: give -tls-cert and -tls-key, or listen on 127.0.0.1", addr)
}

// Serve accepts control connections on ln and serves each on its own
// goroutine. It always returns a non-nil error: ErrServerClosed after
// Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	if s.Store == nil || s.Accounts == nil {
		ln.Close()
		return errors.New("ftpserver: Store and Accounts must be set")
	}
	s.log.Info("serving FTP", "addr", ln.Addr().String(), "tls", s.TLS != nil, "pasv_ports", s.PasvPorts.String())
	err := s.ss.Serve(ln)
	if errors.Is(err, socketserver.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

func (r PortRange) String() string {
	if r.Low == 0 {
		return "any"
	}
	return fmt.Sprintf("%d-%d", r.Low, r.High)
}

// Shutdown stops accepting, ends the sessions waiting for a command and
// lets transfers in progress finish, until ctx ends; then it closes every
// connection (an interrupted upload keeps its part file) and returns
// ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	err := s.ss.Shutdown(ctx)
	if err != nil {
		s.closeData()
	}
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.init()
	err := s.ss.Close()
	s.closeData()
	return err
}

func (s *Server) trackData(c net.Conn, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.data[c] = struct{}{}
	} else {
		delete(s.data, c)
	}
}

func (s *Server) closeData() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.data {
		c.Close()
	}
}

// ServeConn runs one FTP session on conn until the client quits, the
// connection fails or ctx ends (a shutdown: a session waiting for a
// command ends at once with 421, one in a transfer when it is done). It
// never panics on what a client sends.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) {
	s.init()
	remote := conn.RemoteAddr().String()
	host := remoteHost(remote)
	log := s.log.With("remote", remote, "proto", "ftp")
	ticket, err := s.Gate.Arrive(host)
	if err != nil {
		log.Info("connection refused", "err", err)
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		fmt.Fprintf(conn, "421 %s\r\n", err)
		conn.Close()
		return
	}
	defer ticket.Leave()
	c := newCtrl(conn, s)
	c.limit = time.Now().Add(orDefault(s.LoginTimeout, 30*time.Second))
	sess := &session{srv: s, c: c, log: log, host: host, ticket: ticket, ctx: ctx, cwd: "/", allo: -1, prot: 'C'}
	defer sess.close()
	stop := context.AfterFunc(ctx, c.interrupt)
	defer stop()
	err = sess.run()
	sess.ended(err)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
