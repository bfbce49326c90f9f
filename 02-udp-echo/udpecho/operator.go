package udpecho

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
)

// OperatorReplies returns a ReplyFunc for the course notes' interactive
// server: for each datagram it shows the message and its sender on out,
// prompts with ">> ", and sends back the next line the operator types on in.
//
// When in ends, the ReplyFunc returns an error wrapping io.EOF, so Serve
// stops. When ctx ends, it returns ctx.Err(). The lines of in are read by
// one goroutine, started with the first datagram; it ends when in ends or
// ctx is done.
func OperatorReplies(ctx context.Context, in io.Reader, out io.Writer) ReplyFunc {
	lines := make(chan string)
	inErr := make(chan error, 1)
	var start sync.Once
	readLines := func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), MaxPayload+2)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		inErr <- fmt.Errorf("operator input: %w", err)
	}
	return func(msg []byte, from net.Addr) ([]byte, error) {
		start.Do(func() { go readLines() })
		if _, err := fmt.Fprintf(out, "from %s: %q\n>> ", from, msg); err != nil {
			return nil, err
		}
		select {
		case line := <-lines:
			return []byte(line), nil
		case err := <-inErr:
			inErr <- err // later calls see the same error
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
