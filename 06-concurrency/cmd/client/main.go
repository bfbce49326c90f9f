// Command client talks to chapter 06's servers: it connects to -addr, sends
// each line of standard input that is not blank, and prints whatever the
// server sends back as it arrives. It is a client for the echo server of
// cmd/server, and works with the note's operator servers too, whose
// replies have no newline.
//
// Usage:
//
//	client [-addr 127.0.0.1:8080] [-timeout 10s]
//
// Every failure is one line on stderr and a non-zero exit status: no server,
// a bad address, a dropped connection, no reply within -timeout, or a server
// that is over its connection limit ("server busy").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/internal/cli"
	"github.com/gosockets/tutorial/06-concurrency/socketserver"
)

func main() {
	// Ctrl-C keeps its default meaning here and ends the client at once;
	// the kernel then closes the socket and the server sees the client leave.
	cli.Exit("client", os.Stderr, run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", socketserver.DefaultAddr, "`host:port` of the server")
	timeout := fs.Duration("timeout", 10*time.Second, "limit on connecting and on waiting for each reply; 0 means none")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *timeout < 0 {
		return cli.Usagef("-timeout must not be negative")
	}
	conn, err := dial(ctx, *addr, *timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	return chat(conn, stdin, stdout, *timeout)
}

// dial connects to addr, turning each way it can fail into the course's
// one-line message.
func dial(ctx context.Context, addr string, timeout time.Duration) (*net.TCPConn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return nil, fmt.Errorf("bad address %q: %v", addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, fmt.Errorf("bad address %q: the port must be a number from 1 to 65535", addr)
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, fmt.Errorf("bad address %q: %s", addr, dnsErr.Err)
		}
		return nil, fmt.Errorf("no server at %s (%s): is the server running?", addr, cause(err))
	}
	return conn.(*net.TCPConn), nil
}

// errBusy is what the client reports when the server says it is over its
// connection limit.
var errBusy = errors.New("server busy: too many clients, try again later")

// dropped describes a connection the server ended: err is what a read or
// write saw (io.EOF for an orderly close).
func dropped(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("connection dropped by the server")
	}
	return fmt.Errorf("connection dropped by the server: %s", cause(err))
}

// cause returns the innermost message of a network error, such as
// "connection refused" rather than "dial tcp 127.0.0.1:8080: connect:
// connection refused".
func cause(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
