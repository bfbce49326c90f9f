// Command server runs the shell commands that its clients send and replies
// with their output, framed as in chapter 04 (or unframed, as in the notes'
// first version, with -unframed). It listens on loopback only unless
// -allow-remote is given.
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

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run parses args, listens and serves until ctx ends. Logs go to logw.
func run(ctx context.Context, args []string, logw io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(logw)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port)")
	timeout := fs.Duration("timeout", rsh.DefaultTimeout, "time limit of each command")
	maxOutput := fs.Int64("max-output", rsh.DefaultMaxOutput, "cap on each command's stdout+stderr, in bytes")
	unframed := fs.Bool("unframed", false, "speak the notes' unframed protocol (replies spill into each other)")
	allowRemote := fs.Bool("allow-remote", false, "allow listening on an address other than loopback, exposing a shell to the network")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *timeout <= 0 || *maxOutput <= 0 {
		return errors.New("-timeout and -max-output must be positive")
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
	srv := &rsh.Server{Timeout: *timeout, MaxOutput: *maxOutput, Unframed: *unframed, Logger: log}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := srv.Close(); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, rsh.ErrServerClosed) {
		return err
	}
	return nil
}
