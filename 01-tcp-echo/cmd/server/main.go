// Command server is the echo server of chapter 01. It serves one client at a
// time on -addr and sends each message back; with -interactive the operator
// types each reply on standard input, as in the note. It drops a client that
// stays silent for -idle, logs to standard error and stops on Ctrl-C.
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
	"syscall"
	"time"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// errUsage reports bad flags, which the flag package has already explained.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", echo.DefaultAddr, "`host:port` to listen on")
	interactive := fs.Bool("interactive", false, "type each reply on standard input instead of echoing, as in the note")
	idle := fs.Duration("idle", 5*time.Minute, "drop a client that sends nothing for this long; 0 means never")
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

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *addr, unwrapOp(err))
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &echo.Server{Logger: logger, IdleTimeout: *idle}
	if *interactive {
		srv.Reply = echo.OperatorReplies(stdin, stdout)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, echo.ErrOperatorGone) {
			logger.Info("operator input ended; stopping")
			return nil
		}
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	if err := srv.Close(); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, echo.ErrServerClosed) {
		return err
	}
	return nil
}

// unwrapOp drops the "listen tcp 127.0.0.1:8080:" of a *net.OpError, which
// the caller's message already says.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}
