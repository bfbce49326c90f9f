package echo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

// DialTimeout bounds how long Dial waits for the connection to be set up.
const DialTimeout = 10 * time.Second

// Dial connects to the echo server at addr ("host:port"). A malformed address
// gives an error wrapping ErrBadAddress; any other failure is a
// *ConnectError. Dial gives up after DialTimeout or when ctx ends.
func Dial(ctx context.Context, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return nil, fmt.Errorf("%w %q: %v", ErrBadAddress, addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, fmt.Errorf("%w %q: port must be a number from 1 to 65535", ErrBadAddress, addr)
	}
	d := net.Dialer{Timeout: DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	return conn, nil
}

// Chat is the client's conversation loop. It sends each line of in that is
// not blank, newline included, and writes to out whatever each read from
// conn returns, as it arrives: a reply without a newline shows at once. If
// prompt is not empty, Chat writes it before reading each line, on a line of
// its own.
//
// Like the note's client, Chat waits for the reply to a line to begin before
// it reads the next line; a reply that takes several reads goes on printing
// meanwhile. A line is blank, and skipped as the note's client skips an
// empty msg.strip(), if it is white space only and, newline aside, shorter
// than 4 KiB: sending no bytes would send nothing, and the client would wait
// for ever (claim T4). A last line without a newline is sent with one.
//
// At the end of in, Chat closes its half of the connection (CloseWrite), so
// the server sees the client leave, prints the rest of what the server
// sends, and returns nil when the server closes too. If the server closes or
// resets the connection first, Chat returns a *LostError at once, while a
// goroutine may still be waiting for the next line of in. An error reading
// in or writing out is returned as is. Lines and replies of any length pass
// through in constant memory.
func Chat(conn net.Conn, in io.Reader, out io.Writer, prompt string) error {
	scr := &screen{w: out, prompt: prompt}
	defer scr.end()
	got := make(chan struct{}, 1) // a read returned part of a reply
	received := make(chan error, 1)
	go func() { received <- receive(conn, scr, got) }()
	stop := make(chan struct{})
	defer close(stop)
	sent := make(chan error, 1)
	go func() { sent <- send(conn, bufio.NewReader(in), scr, got, stop) }()

	select {
	case err := <-received: // the server left first
		return chatError(err)
	case err := <-sent:
		var cerr *connError
		switch {
		case errors.As(err, &cerr):
			conn.SetReadDeadline(time.Now()) // stop receive
			if rerr := <-received; !errors.Is(rerr, os.ErrDeadlineExceeded) {
				return chatError(rerr) // it says more than a broken pipe
			}
			return &LostError{Err: cerr.err}
		case err != nil: // reading in failed
			conn.SetReadDeadline(time.Now())
			<-received
			return err
		}
	}
	// The input ended: tell the server, and print the rest of the replies.
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		if err := cw.CloseWrite(); err != nil {
			return &LostError{Err: err}
		}
		if err := <-received; !errors.Is(err, io.EOF) {
			return chatError(err)
		}
		return nil
	}
	conn.SetReadDeadline(time.Now())
	<-received
	return nil
}

// send reads in line by line and sends each line that is not blank, then
// waits for the reply to begin. It returns nil at the end of in or when stop
// is closed.
func send(conn net.Conn, in *bufio.Reader, scr *screen, got <-chan struct{}, stop <-chan struct{}) error {
	for {
		scr.showPrompt()
		first, err := in.ReadSlice('\n')
		if err != bufio.ErrBufferFull && len(bytes.TrimSpace(first)) == 0 {
			switch {
			case err == nil:
				continue // a blank line
			case errors.Is(err, io.EOF):
				return nil
			default:
				return err
			}
		}
		scr.lineTyped()
		select {
		case <-got: // forget a read of an earlier reply
		case <-stop:
			return nil
		default:
		}
		if err := sendLine(conn, in, first, err); err != nil {
			return err
		}
		select { // as the note's client waits in recv
		case <-got:
		case <-stop:
			return nil
		}
	}
}

// receive copies what each read from conn returns to scr, and signals got
// after each read that returned data. It returns the error that ended it:
// io.EOF when the server closed the connection.
func receive(conn net.Conn, scr *screen, got chan<- struct{}) error {
	buf := make([]byte, BufSize)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if werr := scr.write(buf[:n]); werr != nil {
				return &outError{werr}
			}
			select {
			case got <- struct{}{}:
			default: // a signal is already waiting
			}
		}
		if err != nil {
			return err
		}
	}
}

// sendLine writes to w the line that starts with chunk, read from r with
// error err, and the rest of it from r; a line that ends at EOF without a
// newline gets one. Errors from w come back as *connError.
func sendLine(w io.Writer, r *bufio.Reader, chunk []byte, err error) error {
	for {
		if len(chunk) > 0 {
			if _, werr := w.Write(chunk); werr != nil {
				return &connError{werr}
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			chunk, err = r.ReadSlice('\n')
		case errors.Is(err, io.EOF):
			if _, werr := w.Write([]byte{'\n'}); werr != nil {
				return &connError{werr}
			}
			return nil
		default:
			return err
		}
	}
}

// connError marks an error from writing to the server.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }

// outError marks an error from writing to Chat's out.
type outError struct{ err error }

func (e *outError) Error() string { return e.err.Error() }

// chatError turns what ended receive into what Chat returns: a *LostError,
// or the error from writing to out as is.
func chatError(err error) error {
	if oerr, ok := err.(*outError); ok {
		return oerr.err
	}
	return &LostError{Err: err}
}
