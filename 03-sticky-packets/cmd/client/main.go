// Command client connects to the server and sends each of its arguments as a
// separate write (by default "helloworld" and "SB", as in the notes), printing every
// write with its length and bytes, and on Linux how many TCP segments have left so far.
//
// Go turns Nagle's algorithm off on every TCP connection (TCP_NODELAY); Python's
// socket module leaves it on. -nodelay=false turns it back on, as in the notes'
// Python client. -gap sleeps between writes, the notes' time.sleep workaround.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: client [flags] [message ...]   (default messages: helloworld SB)")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8080", "server address")
	nodelay := fs.Bool("nodelay", true, "keep Go's TCP_NODELAY; -nodelay=false turns Nagle's algorithm on, as Python has it")
	gap := fs.Duration("gap", 0, "sleep between writes (the notes' time.sleep workaround)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *gap < 0 {
		return fmt.Errorf("-gap %v: must not be negative", *gap)
	}
	msgs := fs.Args()
	if len(msgs) == 0 {
		msgs = sticky.NotesWrites
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", *addr)
	if err != nil {
		return dialError(*addr, err)
	}
	defer c.Close()
	tc := c.(*net.TCPConn)
	if err := tc.SetNoDelay(*nodelay); err != nil {
		return fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	if *nodelay {
		fmt.Fprintln(stdout, "Nagle's algorithm: off (TCP_NODELAY, Go's default; Python leaves Nagle on)")
	} else {
		fmt.Fprintln(stdout, "Nagle's algorithm: on (-nodelay=false, as in Python)")
	}
	if err := sticky.WriteAll(ctx, c, msgs, *gap, stdout); err != nil {
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("connection to %s dropped: %w", *addr, err)
		}
		return err
	}
	return c.Close()
}

// dialError turns a dial error into one line that says what to do.
func dialError(addr string, err error) error {
	var ae *net.AddrError
	var dnse *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot connect to %s: connection refused (is the server running?)", addr)
	case errors.As(err, &ae), errors.As(err, &dnse):
		return fmt.Errorf("bad address %q: %w", addr, err)
	}
	return fmt.Errorf("cannot connect to %s: %w", addr, err)
}
