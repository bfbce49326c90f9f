// Command server is a UDP echo server: it binds one address, answers every
// datagram by sending the same bytes back to its sender, and logs each
// datagram with its source address on stderr. With -interactive the
// operator types each reply instead, as in the note.
//
// Usage:
//
//	server [-addr 127.0.0.1:8080] [-interactive]
//
// Ctrl-C stops it.
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

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		stop()
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// errUsage reports bad flags; the flag package has already printed why.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", udpecho.DefaultAddr, "UDP `address` to bind (host:port)")
	interactive := fs.Bool("interactive", false, "type each reply on standard input instead of echoing, as in the note")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "server: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}

	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *addr, unwrapOp(err))
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &udpecho.Server{Logger: logger}
	if *interactive {
		srv.Reply = udpecho.OperatorReplies(stdin, stdout)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(pc) }()

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		if err := srv.Close(); err != nil {
			return err
		}
		err = <-errc
	case err = <-errc:
	}
	switch {
	case errors.Is(err, udpecho.ErrServerClosed):
		logger.Info("stopped")
		return nil
	case errors.Is(err, udpecho.ErrOperatorGone):
		logger.Info("operator input ended; stopping")
		return nil
	}
	return err
}

// unwrapOp drops the "listen udp 1.2.3.4:5:" prefix of a *net.OpError,
// which the caller's message already says.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}
