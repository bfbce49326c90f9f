// Command server is chapter 03's receiver with framing: it prints every
// message a client sends once, whole, however TCP grouped the bytes, and
// replies with a frame that carries the message back.
//
// Usage:
//
//	server [-addr 127.0.0.1:8080] [-idle 5m] [-max-message 1048576]
//
// Messages go to stdout, one line each; the log goes to stderr. Ctrl-C
// stops the server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/message"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors go to main, as one line; -h prints the usage
	addr := fs.String("addr", message.DefaultAddr, "address to listen on (host:port)")
	idle := fs.Duration("idle", 5*time.Minute, "drop a client that sends nothing for this long; 0 means never")
	maxMsg := fs.Int64("max-message", message.DefaultMaxMessage, "largest message to print, in bytes; a larger one is skipped and refused")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &message.Server{Out: stdout, Logger: log, MaxMessage: *maxMsg, IdleTimeout: *idle}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	srv.Close()
	if err := <-errc; !errors.Is(err, message.ErrServerClosed) {
		return err
	}
	return nil
}
