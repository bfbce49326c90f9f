// Command client is chapter 03's sender with framing: it sends each of its
// arguments (by default "helloworld" and "SB") as one frame, in quick
// succession, and prints the server's reply to each.
//
// Usage:
//
//	client [-addr 127.0.0.1:8080] [-timeout 10s] [message ...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gosockets/tutorial/04-struct-framing/message"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
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
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors go to main, as one line; -h prints the usage
	addr := fs.String("addr", message.DefaultAddr, "server address (host:port)")
	timeout := fs.Duration("timeout", message.DefaultTimeout, "limit on connecting and on each reply")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return nil
		}
		return usageError{err}
	}
	msgs := fs.Args()
	if len(msgs) == 0 {
		msgs = []string{"helloworld", "SB"}
	}
	cl := &message.Client{Out: stdout, Timeout: *timeout}
	return cl.Send(ctx, *addr, msgs)
}
