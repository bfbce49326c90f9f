package main

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/socketserver"
)

// maxLine bounds a line of input; the client says so and stops on a longer
// one rather than hold it in memory.
const maxLine = 64 << 10

// chat is the conversation. A goroutine copies to out whatever the server
// sends, as it arrives (see copyReplies). This goroutine sends each line of
// in that is not blank (an empty send sends nothing, claim T4, and the
// client would wait for a reply forever) and then waits, up to timeout,
// until some reply has arrived (0 means no limit). At the end of in it
// half-closes the connection, so the server sees EOF, and waits for the
// rest of the replies and for the server to close, up to timeout (10 s if
// timeout is 0); a server that keeps the connection open after that (the
// note's operator servers do) is left.
func chat(conn *net.TCPConn, in io.Reader, out io.Writer, timeout time.Duration) error {
	addr := conn.RemoteAddr().String()
	arrived := make(chan struct{}, 1)
	ended := make(chan error, 1)
	go func() { ended <- copyReplies(out, conn, arrived) }()
	lines := readLines(in)

	for {
		var line lineOrErr
		select {
		case line = <-lines:
		case err := <-ended:
			return lost(err)
		}
		switch {
		case line.err == io.EOF:
			conn.CloseWrite()
			select {
			case err := <-ended:
				if errors.Is(err, io.EOF) {
					return nil // the server closed after the last reply
				}
				return lost(err)
			case <-time.After(cmp.Or(timeout, 10*time.Second)):
				return nil
			}
		case line.err != nil:
			return line.err
		}

		select { // forget that earlier replies arrived
		case <-arrived:
		default:
		}
		if _, err := conn.Write(line.b); err != nil {
			return lost(waitEnd(ended, timeout, err))
		}
		select {
		case <-arrived:
		case err := <-ended:
			return lost(err)
		case <-after(timeout):
			return fmt.Errorf("no reply from %s within %v", addr, timeout)
		}
	}
}

// lost turns the error that ended copyReplies into the client's message.
func lost(err error) error {
	if errors.Is(err, errBusy) || errors.Is(err, errWrite) {
		return err
	}
	return dropped(err)
}

// waitEnd is for a failed write: the reader will see the connection end
// too, and may know better why (the server said it is busy).
func waitEnd(ended <-chan error, timeout time.Duration, werr error) error {
	select {
	case err := <-ended:
		if errors.Is(err, errBusy) {
			return err
		}
	case <-after(timeout):
	}
	return werr
}

// after is time.After, where 0 means never.
func after(d time.Duration) <-chan time.Time {
	if d == 0 {
		return nil
	}
	return time.After(d)
}

// errWrite wraps a failure to write what the server sent to out.
var errWrite = errors.New("writing the reply")

// copyReplies copies what conn sends to out as it arrives, 1024 bytes at a
// time (the note's recv(1024)), and signals arrived for every read. It
// returns how the connection ended: io.EOF for an orderly close, errBusy
// when the server's first words are socketserver.BusyMessage.
//
// While what has come so far could still be the start of BusyMessage, it
// is held back rather than printed; the message arrives whole in practice,
// so an echo is held only if it is itself a proper prefix of that line
// ("server busy" without the rest, say), until more comes or the
// connection ends.
func copyReplies(out io.Writer, conn net.Conn, arrived chan<- struct{}) error {
	busy := []byte(socketserver.BusyMessage)
	buf := make([]byte, 1024)
	var head []byte // the start of the stream, while it may be BusyMessage
	checking := true
	for {
		n, err := conn.Read(buf)
		data := buf[:n]
		if n > 0 {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}
		if checking && n > 0 {
			head = append(head, data...)
			switch {
			case bytes.HasPrefix(head, busy):
				return errBusy
			case bytes.HasPrefix(busy, head) && err == nil:
				continue // could still be it
			}
			checking, data = false, head
		}
		if checking && err != nil {
			data = head // the connection ended part way into the prefix
		}
		if len(data) > 0 {
			if _, werr := out.Write(data); werr != nil {
				return fmt.Errorf("%w: %v", errWrite, werr)
			}
		}
		if err != nil {
			return err
		}
	}
}

// lineOrErr is one line of input, with its newline, or why there is none.
type lineOrErr struct {
	b   []byte
	err error // io.EOF at the end of input
}

// readLines reads in on a goroutine of its own, so chat can wait for a
// line and for the server at once, and sends the lines that are not blank.
// A last line without a newline gets one.
func readLines(in io.Reader) <-chan lineOrErr {
	lines := make(chan lineOrErr)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), maxLine)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			lines <- lineOrErr{b: append(bytes.Clone(sc.Bytes()), '\n')}
		}
		err := sc.Err()
		switch {
		case err == nil:
			err = io.EOF
		case errors.Is(err, bufio.ErrTooLong):
			err = fmt.Errorf("a line of input is longer than %d bytes", maxLine)
		default:
			err = fmt.Errorf("reading input: %w", err)
		}
		lines <- lineOrErr{err: err}
	}()
	return lines
}
