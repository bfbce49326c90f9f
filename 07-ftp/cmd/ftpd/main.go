// Command ftpd serves users' home directories with the ftp protocol of
// this chapter and, beside it, with standard FTP for the clients people
// already have (curl, lftp, FileZilla, Python's ftplib), on the same
// accounts, homes and quotas; and it manages its accounts.
//
//	ftpd [-addr 127.0.0.1:2121] [-data ./ftp-data]       serve
//	     [-ftp-addr 127.0.0.1:2021] [-pasv-ports LOW-HIGH]  and standard FTP beside it
//	ftpd gencert [-host 127.0.0.1,localhost]            make a TLS certificate
//	ftpd useradd [-data DIR] [-quota 50MiB] NAME        add a user
//	ftpd passwd [-data DIR] NAME                        change a password
//	ftpd userdel [-data DIR] NAME                       remove an account
//	ftpd users [-data DIR]                              list users
//
// Passwords are read from the terminal without echo, or from the first
// line of stdin when it is not a terminal.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/ftpserver"
	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/server"
	"github.com/gosockets/tutorial/07-ftp/store"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errReported) {
		fmt.Fprintln(os.Stderr, "ftpd:", err)
	}
	os.Exit(exitCode(err))
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usage(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err}
}

// exitCode is 0 for success and -h, 2 for a usage error, 1 otherwise.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// errReported is returned by a command that has printed its errors
// already; it exits with status 1 and prints nothing more.
var errReported = errors.New("errors reported")

const defaultData = "./ftp-data"

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "useradd":
			return useradd(args[1:], stdin, stdout, stderr)
		case "passwd":
			return passwd(args[1:], stdin, stdout, stderr)
		case "userdel":
			return userdel(args[1:], stdout, stderr)
		case "users":
			return users(args[1:], stdout, stderr)
		case "gencert":
			return gencert(args[1:], stdout, stderr)
		}
	}
	return serve(ctx, args, stdout, stderr)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	srv, fsrv, grace, err := serverFlags(args, stderr)
	if err != nil {
		return err
	}
	srv.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	abs, err := filepath.Abs(srv.DataDir)
	if err != nil {
		return err
	}
	if srv.Store, err = store.Open(abs); err != nil {
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("data directory %s is in use by another ftpd: stop it first, or give this one its own -data", srv.DataDir)
		}
		return err
	}
	defer srv.Store.Close()
	srv.Accounts = accounts.Open(abs)
	if err := firstStart(srv.Accounts, srv.DataDir, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	var fln net.Listener
	if fsrv != nil {
		if fln, err = net.Listen("tcp", fsrv.addr); err != nil {
			ln.Close()
			return fmt.Errorf("-ftp-addr: %w", err)
		}
		fsrv.Store, fsrv.Accounts, fsrv.Logger = srv.Store, srv.Accounts, srv.Logger
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ferrc := make(chan error, 1)
	if fsrv != nil {
		go func() { ferrc <- fsrv.Serve(fln) }()
	}
	select {
	case err := <-errc:
		if fsrv != nil {
			fsrv.Close()
		}
		return err
	case err := <-ferrc:
		srv.Close()
		return fmt.Errorf("ftp listener: %w", err)
	case <-ctx.Done():
	}
	srv.Logger.Info("shutting down: no new connections; waiting for transfers", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	ferr := make(chan error, 1)
	if fsrv != nil {
		go func() { ferr <- fsrv.Shutdown(sctx) }()
	} else {
		ferr <- nil
	}
	if err := errors.Join(srv.Shutdown(sctx), <-ferr); err != nil {
		srv.Logger.Info("grace period over: closed the remaining sessions; interrupted uploads keep their part files")
	}
	if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
		return err
	}
	if fsrv != nil {
		if err := <-ferrc; !errors.Is(err, ftpserver.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// ftpListener is the standard FTP front end and the address it listens
// on.
type ftpListener struct {
	*ftpserver.Server
	addr string
}

// serverFlags parses the flags of the server; it returns the server they
// describe and the grace period of a shutdown.
func serverFlags(args []string, stderr io.Writer) (*server.Server, *ftpListener, time.Duration, error) {
	fl := flag.NewFlagSet("ftpd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	srv := &server.Server{}
	fl.StringVar(&srv.Addr, "addr", server.DefaultAddr, "address to listen on")
	fl.StringVar(&srv.DataDir, "data", defaultData, "data directory: accounts and homes")
	fl.DurationVar(&srv.IdleTimeout, "idle", 5*time.Minute, "drop a client that sends nothing for this long")
	fl.DurationVar(&srv.LoginTimeout, "login-timeout", 30*time.Second, "drop a client that has not logged in this long after connecting")
	lim := &accounts.Limiter{}
	srv.Limiter = lim
	fl.DurationVar(&lim.Base, "login-delay", 500*time.Millisecond, "after a failed login, how long the same name waits before it may try again from that address (doubling per failure, up to 16 times)")
	g := &gate.Gate{}
	srv.Gate = g
	fl.IntVar(&g.MaxSessions, "max-conns", 200, "most sessions at once (0: no limit)")
	fl.IntVar(&g.MaxUserSessions, "max-user-sessions", 10, "most sessions of one user at once (0: no limit)")
	fl.IntVar(&g.MaxUnauth, "max-unauth", 64, "most connections not logged in yet (0: no limit)")
	fl.IntVar(&g.MaxUnauthPerAddr, "max-unauth-per-addr", 8, "most connections not logged in yet from one address (0: no limit)")
	grace := fl.Duration("grace", 30*time.Second, "on Ctrl-C or SIGTERM, let transfers run this long before closing them (their part files stay for a resume)")
	fl.DurationVar(&srv.PartMaxAge, "part-max-age", 24*time.Hour, "remove part files of interrupted uploads not written for this long (0: never)")
	fl.DurationVar(&srv.WriteTimeout, "write-timeout", time.Minute, "drop a client that stops reading for this long")
	ftpAddr := fl.String("ftp-addr", ftpserver.DefaultAddr, "address of the standard FTP listener (curl, lftp, FileZilla); empty: none")
	pasvPorts := fl.String("pasv-ports", "", "ports for FTP passive data connections, as LOW-HIGH (default: any the kernel picks)")
	tlsCert := fl.String("tls-cert", "", "serve TLS 1.3 with this certificate (PEM; see ftpd gencert)")
	tlsKey := fl.String("tls-key", "", "the private key of -tls-cert (PEM)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ftpd [flags]\n       ftpd useradd|passwd|userdel|users [-data DIR] ...\n       ftpd gencert [-host 127.0.0.1,localhost]\nflags:")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return nil, nil, 0, usage(err)
	}
	if fl.NArg() > 0 {
		return nil, nil, 0, usage(fmt.Errorf("unknown command %q (want useradd, passwd, userdel, users or gencert)", fl.Arg(0)))
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return nil, nil, 0, usage(errors.New("-tls-cert and -tls-key go together"))
	}
	lim.Max = 16 * lim.Base
	ports, err := ftpserver.ParsePortRange(*pasvPorts)
	if err != nil {
		return nil, nil, 0, usage(fmt.Errorf("-pasv-ports: %w", err))
	}
	if *ftpAddr != "" {
		if err := ftpserver.CheckAddr(*ftpAddr, *tlsCert != ""); err != nil {
			return nil, nil, 0, usage(err)
		}
	}
	if *tlsCert != "" {
		if srv.TLS, err = tlsconf.ServerConfig(*tlsCert, *tlsKey); err != nil {
			return nil, nil, 0, err
		}
	}
	if *ftpAddr == "" {
		return srv, nil, *grace, nil
	}
	fsrv := &ftpserver.Server{
		Limiter:      srv.Limiter,
		Gate:         srv.Gate,
		PasvPorts:    ports,
		LoginTimeout: srv.LoginTimeout,
		IdleTimeout:  srv.IdleTimeout,
		WriteTimeout: srv.WriteTimeout,
	}
	if srv.TLS != nil {
		fsrv.TLS = srv.TLS.Clone()
	}
	return srv, &ftpListener{Server: fsrv, addr: *ftpAddr}, *grace, nil
}

// firstStart creates user demo with a random password when there are no
// accounts at all, and prints the password once.
func firstStart(acc *accounts.Store, data string, stdout io.Writer) error {
	list, err := acc.List()
	if err != nil || len(list) > 0 {
		return err
	}
	b := make([]byte, 12)
	rand.Read(b)
	pw := base64.RawURLEncoding.EncodeToString(b)
	if err := acc.Add("demo", pw, 100<<20); err != nil {
		return err
	}
	passwd := self() + " passwd demo"
	if data != defaultData {
		passwd = self() + " passwd -data " + data + " demo"
	}
	fmt.Fprintf(stdout, "No accounts yet: created user demo (quota 100 MiB) with password\n\n    %s\n\nIt is shown only this once. Change it with: %s\n\n", pw, passwd)
	return nil
}

// self is how to run this command again: "go run ./07-ftp/cmd/ftpd" under
// go run (whose binary lives in a temporary directory, not on PATH), else
// the command as it was started.
func self() string {
	exe, err := os.Executable()
	if err == nil && strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run ./07-ftp/cmd/ftpd"
	}
	return os.Args[0]
}
