// Command server accepts TCP connections one at a time and prints every read it
// gets: its number, its length and its bytes, quoted. With -bufsize 1 it reads one
// byte at a time, like the note's recv(1); with -delay it waits before each read,
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
	"time"

	"github.com/gosockets/tutorial/03-sticky-packets/internal/cli"
	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cli.Exit("server", run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", sticky.DefaultAddr, "address to listen on")
	bufsize := fs.Int("bufsize", 1024, "bytes per read (1 reproduces the note's recv(1))")
	delay := fs.Duration("delay", 0, "wait this long before each read (a busy server)")
	idle := fs.Duration("idle", time.Minute, "drop a client that sends nothing for this long; 0 means never")
	grace := fs.Duration("grace", 5*time.Second, "on Ctrl-C, how long the connected client gets to finish")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: server [flags]")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return cli.Usagef("unexpected arguments %q", fs.Args())
	case *bufsize < 1:
		return cli.Usagef("-bufsize %d: must be at least 1", *bufsize)
	case *delay < 0:
		return cli.Usagef("-delay %v: must not be negative", *delay)
	case *idle < 0:
		return cli.Usagef("-idle %v: must not be negative", *idle)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String(), "bufsize", *bufsize, "delay", *delay)
	s := &sticky.Server{BufSize: *bufsize, Delay: *delay, IdleTimeout: *idle, Out: stdout, Logger: logger}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		logger.Info("client cut off", "err", err)
	}
	if err := <-errc; !errors.Is(err, sticky.ErrServerClosed) {
		return err
	}
	return nil
}
