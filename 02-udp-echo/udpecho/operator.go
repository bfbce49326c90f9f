package udpecho

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// ErrOperatorGone is returned by the ReplyFunc of OperatorReplies, and so by
// Serve, when the operator's input ends. It is chapter 01's.
var ErrOperatorGone = echo.ErrOperatorGone

// OperatorReplies returns a ReplyFunc for the note's interactive server: for
// each datagram it writes the sender and the message to prompt (if prompt is
// not nil), asks "reply> ", and sends back the next line the operator types
// on in, with the white space around it removed, as the note's
// input().strip() does. An empty line is sent as an empty datagram, which on
// UDP still arrives (claim U3).
//
// The lines are read by chapter 01's echo.Operator: when the server closes
// while the operator is typing, the line typed is kept for the next reply.
func OperatorReplies(in io.Reader, prompt io.Writer) ReplyFunc {
	op := echo.NewOperator(in)
	return func(ctx context.Context, msg []byte, from net.Addr) ([]byte, error) {
		if prompt != nil {
			fmt.Fprintf(prompt, "%s sent %q\nreply> ", from, msg)
		}
		line, err := op.ReadLine(ctx)
		if err != nil {
			return nil, err
		}
		return bytes.TrimSpace(line), nil
	}
}
