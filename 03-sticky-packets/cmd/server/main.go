// Command server accepts TCP connections one at a time and prints every read it
// gets: its number, its length and its bytes, quoted. With -bufsize 1 it reads one
// byte at a time, like the notes' recv(1); with -delay it waits before each read,
// like a busy server, so that several writes arrive in one read.
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

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
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
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	bufsize := fs.Int("bufsize", 1024, "bytes per read (1 reproduces the notes' recv(1))")
	delay := fs.Duration("delay", 0, "wait this long before each read (a slow reader)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *bufsize < 1 {
		return fmt.Errorf("-bufsize %d: must be at least 1", *bufsize)
	}
	if *delay < 0 {
		return fmt.Errorf("-delay %v: must not be negative", *delay)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "bufsize", *bufsize, "delay", *delay)
	s := &sticky.Server{BufSize: *bufsize, Delay: *delay, Out: stdout, Logger: logger}
	err = s.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) {
		logger.Info("shut down")
		return nil
	}
	return err
}
