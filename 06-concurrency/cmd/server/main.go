// Command server is chapter 06's concurrent TCP echo server: every client is
// served on its own goroutine, so a second client is answered while the
// first is still connected (chapter 01's server makes it wait).
//
// Usage:
//
//	server [-addr 127.0.0.1:8080] [-max-conns N] [-idle D] [-grace D] [-low-memory]
//
// Ctrl-C stops accepting, lets the connected clients finish the message in
// progress for up to -grace, then closes what is left. A second Ctrl-C
// kills it at once.
package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/internal/cli"
	"github.com/gosockets/tutorial/06-concurrency/socketserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once
	cli.Exit("server", os.Stderr, run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses args, serves until ctx is canceled, then shuts down
// gracefully. Logs go to stderr.
func run(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", socketserver.DefaultAddr, "`host:port` to listen on")
	maxConns := fs.Int("max-conns", 0, "most clients served at once; 0 means no limit (others are told \"server busy\")")
	idle := fs.Duration("idle", 0, "drop a client that sends nothing for this long; 0 means never")
	grace := fs.Duration("grace", 5*time.Second, "on Ctrl-C, how long connected clients get to finish")
	lowMemory := fs.Bool("low-memory", false, "echo with LowMemoryEcho, which holds no read buffer while a client is idle")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *maxConns < 0 || *idle < 0 || *grace < 0 {
		return cli.Usagef("-max-conns, -idle and -grace must not be negative")
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
	handler := "Echo"
	if *lowMemory {
		srv.Handler, handler = new(socketserver.LowMemoryEcho), "LowMemoryEcho"
	}
	log.Info("listening", "addr", ln.Addr().String(), "max_conns", *maxConns, "idle", *idle, "handler", handler)

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
	<-errc // ErrServerClosed now
	if err != nil {
		log.Warn("grace period over; remaining clients cut off")
		return nil
	}
	log.Info("stopped")
	return nil
}
