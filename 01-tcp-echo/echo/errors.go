package echo

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// ErrBadAddress is wrapped by the error Dial returns for an address that is
// not host:port with a port from 1 to 65535.
var ErrBadAddress = errors.New("bad address")

// ConnectError reports that Dial could not connect to a well-formed address.
type ConnectError struct {
	Addr string
	Err  error
}

// Error returns one line: "no server at 127.0.0.1:8080 (connection
// refused): is the server running?" when nothing listens there, "no reply
// from 127.0.0.1:8080 within 10s" when the connection could not be set up
// in time, and "cannot connect to ADDR: REASON" otherwise.
func (e *ConnectError) Error() string {
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "no server at " + e.Addr + " (connection refused): is the server running?"
	case errors.Is(e.Err, os.ErrDeadlineExceeded), errors.Is(e.Err, context.DeadlineExceeded):
		return "no reply from " + e.Addr + " within " + DialTimeout.String()
	}
	return "cannot connect to " + e.Addr + ": " + cause(e.Err)
}

// Unwrap returns the underlying error.
func (e *ConnectError) Unwrap() error { return e.Err }

// LostError reports that the server closed the connection (Err is io.EOF) or
// reset it before the client was done, or that the network failed.
type LostError struct{ Err error }

// Error returns one line: "connection dropped by the server", followed by
// the reason, such as ": connection reset by peer", unless the server closed
// the connection in order.
func (e *LostError) Error() string {
	if errors.Is(e.Err, io.EOF) {
		return "connection dropped by the server"
	}
	return "connection dropped by the server: " + cause(e.Err)
}

// Unwrap returns the underlying error.
func (e *LostError) Unwrap() error { return e.Err }

// cause returns the innermost message of a network error, such as
// "connection reset by peer" rather than "read tcp 127.0.0.1:51234->
// 127.0.0.1:8080: read: connection reset by peer".
func cause(err error) string {
	for {
		var op *net.OpError
		var sc *os.SyscallError
		switch {
		case errors.As(err, &sc):
			err = sc.Err
		case errors.As(err, &op) && op.Err != nil:
			err = op.Err
		default:
			return err.Error()
		}
	}
}
