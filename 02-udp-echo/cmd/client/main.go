// Command client is the client of the UDP echo server: it reads lines from
// stdin, sends each line as one datagram (an empty line too, as an empty
// datagram), and prints each reply on stdout. It shows a ">> " prompt only
// when stdin is a terminal and exits with status 0 at the end of its input.
//
// Usage:
//
//	client [-addr 127.0.0.1:8080] [-timeout 10s]
//
// UDP cannot tell a missing server from a lost datagram, so the client waits
// at most -timeout for each reply; when none comes it prints one line saying
// so and exits with status 1.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

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
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// errUsage reports bad flags; the flag package has already printed why.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", udpecho.DefaultAddr, "server `address` (host:port)")
	timeout := fs.Duration("timeout", udpecho.DefaultTimeout, "how long to wait for each reply")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "client: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "client: -timeout must be positive, got %v\n", *timeout)
		fs.Usage()
		return errUsage
	}

	c, err := udpecho.Dial(ctx, *addr, *timeout)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while resolving the address
		}
		return fmt.Errorf("bad address %q: %v", *addr, addrReason(err))
	}
	defer c.Close()

	prompt := ""
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		prompt = ">> "
	}
	lines, inErr := readLines(ctx, stdin)
	out := bufio.NewWriter(stdout)
	for {
		if prompt != "" {
			fmt.Fprint(out, prompt)
		}
		if err := out.Flush(); err != nil {
			return err
		}
		var line string
		select {
		case <-ctx.Done():
			return endPrompt(out, prompt)
		case l, ok := <-lines:
			if !ok {
				if err := endPrompt(out, prompt); err != nil {
					return err
				}
				return <-inErr
			}
			line = l
		}
		reply, err := c.Exchange(ctx, []byte(line))
		switch {
		case ctx.Err() != nil:
			return endPrompt(out, prompt)
		case errors.Is(err, udpecho.ErrNoReply):
			return err // no reply from ADDR within 10s
		case errors.Is(err, syscall.ECONNREFUSED):
			return fmt.Errorf("no server at %s (connection refused): is the server running?", c.RemoteAddr())
		case errors.Is(err, syscall.EMSGSIZE):
			return fmt.Errorf("line of %d bytes is too long for one datagram (at most %d)", len(line), udpecho.MaxPayload)
		case err != nil:
			return fmt.Errorf("exchange with %s: %w", c.RemoteAddr(), err)
		}
		fmt.Fprintf(out, "%s\n", reply)
	}
}

// endPrompt ends the prompt's line, if there is a prompt, so that the
// shell's prompt starts on a line of its own.
func endPrompt(out *bufio.Writer, prompt string) error {
	if prompt != "" {
		fmt.Fprintln(out)
	}
	return out.Flush()
}

// readLines sends the lines of r on the returned channel, which is closed at
// the end of r; then the error channel yields nil at end of input or the
// read error. It stops early when ctx ends.
func readLines(ctx context.Context, r io.Reader) (<-chan string, <-chan error) {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), udpecho.MaxPayload+2) // +2 for "\r\n"
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				errc <- nil
				return
			}
		}
		err := sc.Err()
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("input line longer than %d bytes: too long for one datagram", udpecho.MaxPayload)
		} else if err != nil {
			err = fmt.Errorf("reading input: %w", err)
		}
		errc <- err
	}()
	return lines, errc
}

// addrReason returns why an address was rejected, without the "dial udp"
// prefix that the caller's message replaces.
func addrReason(err error) string {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err.Error()
	}
	return err.Error()
}
