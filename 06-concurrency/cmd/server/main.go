// Command server is a concurrent TCP echo server: every client is served on
// its own goroutine, so a second client is answered while the first is still
// connected (the chapter 01 server makes it wait).
//
// Usage:
//
//	server [-addr 127.0.0.1:8080] [-max-conns N] [-idle-timeout D] [-grace D]
//
// Ctrl-C stops accepting, lets the connected clients finish the message in
// progress for up to -grace, then closes what is left.
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

	"github.com/gosockets/tutorial/06-concurrency/socketserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx is canceled, then shuts down gracefully.
// Logs go to stderr.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", socketserver.DefaultAddr, "TCP address to listen on")
	maxConns := fs.Int("max-conns", 0, "most clients served at once; 0 means no limit (others are told \"server busy\")")
	idle := fs.Duration("idle-timeout", 0, "drop a client that sends nothing for this long; 0 means never")
	grace := fs.Duration("grace", 5*time.Second, "on Ctrl-C, how long connected clients get to finish")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *maxConns < 0 || *idle < 0 || *grace < 0 {
		return errors.New("-max-conns, -idle-timeout and -grace must not be negative")
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &socketserver.Server{
		Handler:     socketserver.HandlerFunc(socketserver.Echo),
		MaxConns:    *maxConns,
		IdleTimeout: *idle,
		Logger:      log,
	}
	log.Info("listening", "addr", ln.Addr().String(), "max_conns", *maxConns, "idle_timeout", *idle)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down", "grace", *grace, "active", srv.ActiveConns())
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc // always ErrServerClosed now
	if err != nil {
		log.Warn("grace period over; remaining connections closed")
		return nil
	}
	log.Info("stopped")
	return nil
}
