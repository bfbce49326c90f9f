// Command server is chapter 03's receiver with framing: it prints every
// message a client sends once, whole, however TCP grouped the bytes, and
// replies with a frame that carries the message back.
//
// Usage:
//
//	server [-addr 127.0.0.1:8080] [-max 1048576] [-idle 5m]
//
// Messages go to stdout, one line each; the log goes to stderr. Ctrl-C
// stops the server.
package main

import (
	"context"
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
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port)")
	maxMsg := fs.Int64("max", message.DefaultMaxMessage, "largest message to print, in bytes; larger ones are skipped and refused")
	idle := fs.Duration("idle", 5*time.Minute, "close a connection that sends nothing for this long (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &message.Server{Out: stdout, Logger: log, MaxMessage: *maxMsg, IdleTimeout: *idle}
	err := srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		log.Info("listening", "addr", a.String())
	})
	if err != nil {
		return err
	}
	log.Info("shut down")
	return nil
}
