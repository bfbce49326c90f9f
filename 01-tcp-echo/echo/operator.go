package echo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
)

// ErrOperatorGone is returned by [Operator.ReadLine], and so by the ReplyFunc
// of OperatorReplies and by Serve, when the operator's input ends: no
// further reply can be typed.
var ErrOperatorGone = errors.New("operator input ended")

// OperatorReplies returns a ReplyFunc for the note's operator mode, where a
// person types each reply. For each message it writes the sender and the
// message to prompt (if prompt is not nil), asks "reply> ", and returns the
// next line of in, newline included (one is added to a last line that has
// none).
//
// Blank lines are skipped: sending no bytes sends nothing, and the client
// would wait for ever (claim T4). The note's server sends them anyway.
func OperatorReplies(in io.Reader, prompt io.Writer) ReplyFunc {
	op := NewOperator(in)
	return func(ctx context.Context, msg []byte, from net.Addr) ([]byte, error) {
		if prompt != nil {
			fmt.Fprintf(prompt, "%s sent %q\nreply> ", from, msg)
		}
		for {
			line, err := op.ReadLine(ctx)
			if err != nil {
				return nil, err
			}
			if len(bytes.TrimSpace(line)) > 0 {
				if line[len(line)-1] != '\n' {
					line = append(line, '\n')
				}
				return line, nil
			}
		}
	}
}

// An Operator is the person at a server who types the replies. It reads the
// lines typed on its input one at a time, when a reply is asked for, so that
// a server can stop waiting for a reply when it closes.
type Operator struct {
	in   *bufio.Reader
	turn chan struct{} // held by the ReadLine call being served
	line chan typed    // the line being read, if one is; guarded by turn
}

type typed struct {
	text []byte
	err  error
}

// NewOperator returns an Operator who types on in.
func NewOperator(in io.Reader) *Operator {
	return &Operator{in: bufio.NewReader(in), turn: make(chan struct{}, 1)}
}

// ReadLine returns the next line typed, newline included; the last line of
// the input may have none. At the end of the input it returns
// ErrOperatorGone.
//
// If ctx ends first, ReadLine returns ctx.Err(), and the line read later is
// kept for the next call: a goroutine reads it meanwhile, and it ends then.
// Calls are served one at a time, in turn.
func (o *Operator) ReadLine(ctx context.Context) ([]byte, error) {
	select {
	case o.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-o.turn }()
	if o.line == nil {
		line := make(chan typed, 1) // the reader never waits on it
		go func() {
			text, err := o.in.ReadBytes('\n')
			switch {
			case len(text) > 0:
				err = nil // an error comes again at the next read
			case errors.Is(err, io.EOF):
				err = ErrOperatorGone
			case err != nil:
				err = fmt.Errorf("%w: %w", ErrOperatorGone, err)
			}
			line <- typed{text, err}
		}()
		o.line = line
	}
	select {
	case t := <-o.line:
		o.line = nil
		return t.text, t.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
