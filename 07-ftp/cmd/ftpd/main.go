// Command ftpd serves users' home directories with the ftp protocol of
// this chapter, and manages its accounts.
//
//	ftpd [-addr 127.0.0.1:2121] [-data ./ftp-data]       serve
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
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
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
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/gosockets/tutorial/06-concurrency/socketserver"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/internal/flock"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/quota"
	"github.com/gosockets/tutorial/07-ftp/server"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ftpd:", err)
		}
		os.Exit(1)
	}
}

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
	fl := flag.NewFlagSet("ftpd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:2121", "address to listen on")
	data := fl.String("data", defaultData, "data directory: accounts and homes")
	idle := fl.Duration("idle", 5*time.Minute, "drop a client that sends nothing for this long")
	maxConns := fl.Int("max-conns", 200, "most sessions at once")
	maxUser := fl.Int("max-user-sessions", 10, "most sessions of one user at once (0: no limit)")
	grace := fl.Duration("grace", 30*time.Second, "on Ctrl-C or SIGTERM, let transfers run this long before closing them (their part files stay for a resume)")
	partAge := fl.Duration("part-max-age", 24*time.Hour, "remove part files of interrupted uploads not written for this long (0: never)")
	writeTimeout := fl.Duration("write-timeout", time.Minute, "drop a client that stops reading a download for this long")
	tlsCert := fl.String("tls-cert", "", "serve TLS 1.3 with this certificate (PEM; see ftpd gencert)")
	tlsKey := fl.String("tls-key", "", "the private key of -tls-cert (PEM)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ftpd [flags]\n       ftpd useradd|passwd|userdel|users [-data DIR] ...\n       ftpd gencert [-host 127.0.0.1,localhost]\nflags:")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unknown command %q (want useradd, passwd, userdel, users or gencert)", fl.Arg(0))
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	var tlsCfg *tls.Config
	if *tlsCert != "" {
		var err error
		if tlsCfg, err = tlsconf.ServerConfig(*tlsCert, *tlsKey); err != nil {
			return err
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	lock, err := lockData(*data)
	if err != nil {
		return err
	}
	defer lock.Close()
	store := accounts.Open(*data)
	if err := firstStart(store, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(*data)
	srv := server.New(*data, logger)
	srv.MaxUserSessions = *maxUser
	srv.TLS = tlsCfg
	srv.IdleTimeout = *idle
	srv.WriteTimeout = *writeTimeout
	logger.Info("serving", "addr", ln.Addr().String(), "data", abs, "tls", tlsCfg != nil)
	if *partAge > 0 {
		srv.CleanParts(*partAge)
		go func() {
			t := time.NewTicker(max(*partAge/4, time.Minute))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					srv.CleanParts(*partAge)
				}
			}
		}()
	}
	ss := &socketserver.Server{
		Handler:     srv,
		MaxConns:    *maxConns,
		OverLimit:   socketserver.HandlerFunc(busy),
		IdleTimeout: *idle,
		Logger:      logger,
	}
	errc := make(chan error, 1)
	go func() { errc <- ss.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: no new connections; waiting for transfers", "grace", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := ss.Shutdown(sctx); err != nil {
		logger.Info("grace period over: closed the remaining sessions; interrupted uploads keep their part files")
	}
	if err := <-errc; !errors.Is(err, socketserver.ErrServerClosed) {
		return err
	}
	return nil
}

// gencert writes a self-signed certificate and its key for a classroom
// server.
func gencert(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("ftpd gencert", flag.ContinueOnError)
	fl.SetOutput(stderr)
	hosts := fl.String("host", strings.Join(tlsconf.DefaultHosts, ","), "comma-separated names and IP addresses the certificate is valid for")
	cert := fl.String("cert", "ftpd-cert.pem", "certificate file to write")
	key := fl.String("key", "ftpd-key.pem", "private key file to write (mode 0600)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("usage: ftpd gencert [-host H1,H2] [-cert FILE] [-key FILE]")
	}
	if err := tlsconf.WriteFiles(*cert, *key, strings.Split(*hosts, ",")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (valid for %s)\n", *cert, *key, *hosts)
	fmt.Fprintf(stdout, "serve with:   ftpd -tls-cert %s -tls-key %s\n", *cert, *key)
	fmt.Fprintf(stdout, "connect with: ftp -tls-ca %s -user NAME\n", *cert)
	return nil
}

// busy answers a connection over -max-conns in the protocol's own words,
// so the client prints a clear error instead of failing on a bad frame.
func busy(_ context.Context, conn net.Conn) {
	proto.WriteResponse(conn, proto.Response{Code: proto.CodeBusy, Error: "server busy: too many sessions, try again later"})
}

// firstStart creates user demo with a random password when there are no
// accounts at all, and prints the password once.
func firstStart(store *accounts.Store, stdout io.Writer) error {
	list, err := store.List()
	if err != nil || len(list) > 0 {
		return err
	}
	b := make([]byte, 12)
	rand.Read(b)
	pw := base64.RawURLEncoding.EncodeToString(b)
	if err := store.Add("demo", pw, 100<<20); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "No accounts yet: created user demo (quota 100 MiB) with password\n\n    %s\n\nIt is shown only this once. Change it with: ftpd passwd demo\n\n", pw)
	return nil
}

func adminFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fl := flag.NewFlagSet("ftpd "+name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", defaultData, "data directory")
	return fl, data
}

func oneName(fl *flag.FlagSet) (string, error) {
	if fl.NArg() != 1 {
		return "", fmt.Errorf("want exactly one user name, got %d arguments", fl.NArg())
	}
	return fl.Arg(0), accounts.CheckName(fl.Arg(0))
}

func useradd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl, data := adminFlags("useradd", stderr)
	q := fl.String("quota", "50MiB", "disk quota (B, KiB, MiB, GiB)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	name, err := oneName(fl)
	if err != nil {
		return err
	}
	limit, err := quota.ParseSize(*q)
	if err != nil {
		return err
	}
	pw, err := readPassword(stdin, stderr, "Password for "+name+": ")
	if err != nil {
		return err
	}
	if err := accounts.Open(*data).Add(name, pw, limit); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added user %s with a quota of %s\n", name, quota.FormatSize(limit))
	return nil
}

func passwd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl, data := adminFlags("passwd", stderr)
	if err := fl.Parse(args); err != nil {
		return err
	}
	name, err := oneName(fl)
	if err != nil {
		return err
	}
	store := accounts.Open(*data)
	if _, err := store.Lookup(name); err != nil {
		return err
	}
	pw, err := readPassword(stdin, stderr, "New password for "+name+": ")
	if err != nil {
		return err
	}
	if err := store.SetPassword(name, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s changed\n", name)
	return nil
}

func userdel(args []string, stdout, stderr io.Writer) error {
	fl, data := adminFlags("userdel", stderr)
	if err := fl.Parse(args); err != nil {
		return err
	}
	name, err := oneName(fl)
	if err != nil {
		return err
	}
	if err := accounts.Open(*data).Delete(name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed user %s; their files stay in %s\n", name, server.UserDir(*data, name))
	return nil
}

func users(args []string, stdout, stderr io.Writer) error {
	fl, data := adminFlags("users", stderr)
	if err := fl.Parse(args); err != nil {
		return err
	}
	list, err := accounts.Open(*data).List()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "NAME\tQUOTA\tUSED\t")
	for _, a := range list {
		used, err := homefs.DirUsage(server.UserDir(*data, a.Name))
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", a.Name, a.Quota, used)
	}
	return tw.Flush()
}

// readPassword reads a password without echo from a terminal (asking
// twice), or the first line of stdin otherwise.
func readPassword(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, prompt)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("no password on stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", accounts.ErrEmptyPwd
	}
	return pw, nil
}

// lockFile is the file in the data directory that a serving ftpd holds an
// exclusive lock on.
const lockFile = "ftpd.lock"

// lockData makes sure this is the only ftpd serving data: quotas, part files
// and their one-writer rule are kept in one process's memory, so a second
// server on the same directory could let a user past the quota or let two
// sessions write one part file. The kernel drops the lock when the process
// ends, however it ends, so a crash leaves nothing to clean up. The admin
// commands (useradd and the rest) take no lock: they may run beside a server.
func lockData(data string) (*os.File, error) {
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, err
	}
	f, err := flock.Create(filepath.Join(data, lockFile))
	if errors.Is(err, flock.ErrLocked) {
		return nil, fmt.Errorf("data directory %s is in use by another ftpd: stop it first, or give this one its own -data", data)
	}
	return f, err
}
