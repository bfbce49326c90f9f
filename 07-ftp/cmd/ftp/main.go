// Command ftp is the client of this chapter's ftp server. It logs in, then
// runs one command per line from stdin:
//
//	ftp [-addr 127.0.0.1:2121] -user NAME
//
// The password comes from the FTP_PASSWORD environment variable, else from
// a prompt without echo. A failing command prints "error: ..." on stderr and
// the session goes on; the exit status is 1 if any command failed.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/lineedit"
	"github.com/gosockets/tutorial/07-ftp/progress"
	"github.com/gosockets/tutorial/07-ftp/tlsconf"
)

func main() {
	// Ctrl-C (SIGINT) is the shell's: it interrupts the command running.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.As(err, &u):
		fmt.Fprintln(os.Stderr, "ftp:", err)
		os.Exit(2)
	case !errors.Is(err, errCommandsFailed):
		fmt.Fprintln(os.Stderr, "ftp:", err)
	}
	os.Exit(1)
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ error }

// errCommandsFailed reports that at least one command failed; each failure
// has been printed already.
var errCommandsFailed = errors.New("some commands failed")

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	opt, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	password, err := readPassword(opt.user, getenv, stdin, stderr)
	if err != nil {
		return err
	}
	tlsCfg, err := opt.tlsConfig()
	if err != nil {
		return err
	}
	sh := &shell{out: stdout, errOut: stderr, mode: progress.ChooseMode(progress.IsTerminal(stderr), opt.progress)}
	sh.dial = func(ctx context.Context) (*client.Client, error) {
		c, err := client.DialTLS(ctx, opt.addr, opt.timeout, tlsCfg)
		if err != nil {
			return nil, err
		}
		if err := c.Login(opt.user, password); err != nil {
			c.Abort()
			return nil, err
		}
		return c, nil
	}
	if err := sh.connect(ctx); err != nil {
		return err
	}
	defer sh.close()
	ctx, quit := context.WithCancel(ctx)
	defer quit()
	// Ctrl-C interrupts the command running: the connection is closed at
	// once (a transfer keeps its part files), the shell logs in again and
	// the same command resumes. SIGTERM, or Ctrl-C between commands, ends
	// the session.
	stopAbort := context.AfterFunc(ctx, sh.abort)
	defer stopAbort()
	stopWatch := sh.watchInterrupts(quit)
	defer stopWatch()
	fmt.Fprintf(stdout, "logged in as %s\n", opt.user)
	// On a terminal: prompt, line editing, history and Tab completion of
	// commands, local and remote names; otherwise plain lines.
	rd, err := lineedit.New(stdin, stdout, lineedit.Config{Prompt: "ftp> ", Complete: sh.completer()})
	if err != nil {
		return err
	}
	defer rd.Close()
	return sh.loop(ctx, rd)
}

// options are the command line's.
type options struct {
	addr, user string
	timeout    time.Duration
	useTLS     bool
	tlsCA      string
	progress   bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fl := flag.NewFlagSet("ftp", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&o.addr, "addr", "127.0.0.1:2121", "server address")
	fl.StringVar(&o.user, "user", "", "user name (required)")
	fl.DurationVar(&o.timeout, "timeout", time.Minute, "give up when the server sends nothing for this long")
	fl.BoolVar(&o.useTLS, "tls", false, "connect with TLS 1.3 (the server runs with -tls-cert)")
	fl.StringVar(&o.tlsCA, "tls-ca", "", "trust the server certificate in this file (from ftpd gencert); implies -tls")
	fl.BoolVar(&o.progress, "progress", false, "print progress lines for put and get when stderr is not a terminal (on a terminal a bar is always shown)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	if o.user == "" || fl.NArg() > 0 {
		fl.Usage()
		return o, usageError{errors.New("usage: ftp [-addr HOST:PORT] -user NAME")}
	}
	return o, nil
}

// tlsConfig returns the TLS configuration the flags ask for, or nil.
func (o options) tlsConfig() (*tls.Config, error) {
	if !o.useTLS && o.tlsCA == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return nil, fmt.Errorf("bad address %q: %w", o.addr, err)
	}
	return tlsconf.ClientConfig(o.tlsCA, host)
}

// readPassword returns the password from FTP_PASSWORD, else from a prompt
// without echo on a terminal.
func readPassword(user string, getenv func(string) string, stdin io.Reader, stderr io.Writer) (string, error) {
	if pw := getenv("FTP_PASSWORD"); pw != "" {
		return pw, nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no password: set FTP_PASSWORD or run on a terminal")
	}
	fmt.Fprintf(stderr, "Password for %s: ", user)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	return string(b), err
}
