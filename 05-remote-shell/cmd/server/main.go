// Command server runs the shell commands that its clients send and replies
// with their output, framed as in chapter 04 (or unframed, as in the note's
// first version, with -unframed). It listens on loopback only unless
// -allow-remote is given.
//
// Usage:
//
//	server [-addr 127.0.0.1:8080] [-idle 5m] [-max-conns 10] [-grace 5s]
//	       [-time-limit 30s] [-max-output 16777216] [-unframed] [-allow-remote]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"time"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(exitStatus(err))
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ error }

func exitStatus(err error) int {
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// run parses args, listens and serves until ctx ends. Logs go to logw.
func run(ctx context.Context, args []string, logw io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors go to main, as one line; -h prints the usage
	addr := fs.String("addr", rsh.DefaultAddr, "address to listen on (host:port)")
	idle := fs.Duration("idle", 5*time.Minute, "drop a client that sends nothing for this long; 0 means never")
	maxConns := fs.Int("max-conns", 10, "most clients served at once; 0 means no limit; others are told \"server busy\"")
	grace := fs.Duration("grace", 5*time.Second, "on Ctrl-C, how long running commands get to finish before they are killed (a second Ctrl-C kills them at once)")
	timeLimit := fs.Duration("time-limit", rsh.DefaultTimeLimit, "time limit of each command")
	maxOutput := fs.Int64("max-output", rsh.DefaultMaxOutput, "cap on each command's stdout+stderr, in bytes")
	unframed := fs.Bool("unframed", false, "speak the note's unframed protocol (replies spill into each other)")
	allowRemote := fs.Bool("allow-remote", false, "allow listening on an address other than loopback, exposing a shell to the network")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(logw)
			fs.Usage()
			return nil
		}
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	case *timeLimit <= 0 || *maxOutput <= 0:
		return usageError{errors.New("-time-limit and -max-output must be positive")}
	case *idle < 0 || *maxConns < 0 || *grace < 0:
		return usageError{errors.New("-idle, -max-conns and -grace must not be negative")}
	}
	log := slog.New(slog.NewTextHandler(logw, nil))

	ln, err := rsh.Listen(ctx, *addr, *allowRemote)
	if err != nil {
		return err
	}
	if !rsh.IsLoopback(ln.Addr()) {
		name := "unknown"
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		fmt.Fprintln(logw, rsh.RemoteWarning(ln.Addr(), name))
	}
	srv := &rsh.Server{
		Logger: log, IdleTimeout: *idle, MaxConns: *maxConns, TimeLimit: *timeLimit,
		MaxOutput: *maxOutput, Unframed: *unframed,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Running commands get -grace to finish; a second Ctrl-C ends it at once.
	graceCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt)
	defer signal.Stop(again)
	go func() {
		select {
		case <-again:
			cancel()
		case <-graceCtx.Done():
		}
	}()
	if err := srv.Shutdown(graceCtx); err != nil && graceCtx.Err() == nil {
		return err
	}
	if err := <-errc; !errors.Is(err, rsh.ErrServerClosed) {
		return err
	}
	return nil
}
