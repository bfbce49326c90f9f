// Command client connects to the server and sends each of its arguments as a
// separate write (by default "helloworld" and "SB", as in the note), printing every
// write with its length and bytes, and on Linux how many TCP segments have left so far.
//
// Go turns Nagle's algorithm off on every TCP connection (TCP_NODELAY); Python's
// socket module leaves it on. -nodelay=false turns it back on, as in the note's
// Python client. -gap sleeps between writes, the note's time.sleep workaround.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/gosockets/tutorial/03-sticky-packets/internal/cli"
	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cli.Exit("client", run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: client [flags] [message ...]   (default messages: helloworld SB)")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", sticky.DefaultAddr, "server address")
	timeout := fs.Duration("timeout", 10*time.Second, "limit on connecting")
	nodelay := fs.Bool("nodelay", true, "keep Go's TCP_NODELAY; -nodelay=false turns Nagle's algorithm on, as Python has it")
	gap := fs.Duration("gap", 0, "sleep between writes (the note's time.sleep workaround)")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if *gap < 0 {
		return cli.Usagef("-gap %v: must not be negative", *gap)
	}
	if *timeout <= 0 {
		return cli.Usagef("-timeout %v: must be positive", *timeout)
	}
	msgs := fs.Args()
	if len(msgs) == 0 {
		msgs = sticky.NotesWrites
	}
	c, err := sticky.Dial(ctx, *addr, *timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetNoDelay(*nodelay); err != nil {
		return fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	if *nodelay {
		fmt.Fprintln(stdout, "Nagle's algorithm: off (TCP_NODELAY, Go's default; Python leaves Nagle on)")
	} else {
		fmt.Fprintln(stdout, "Nagle's algorithm: on (-nodelay=false, as in Python)")
	}
	if err := sticky.WriteAll(ctx, c, msgs, *gap, stdout); err != nil {
		return err
	}
	return c.Close()
}
