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

// ErrOperatorGone is returned by the ReplyFunc of OperatorReplies, and so by
// Serve, when the operator's input ends: no further reply can be typed.
var ErrOperatorGone = errors.New("echo: operator input ended")

// OperatorReplies returns a ReplyFunc for the note's operator mode, where a
// person types each reply. For each message it writes the sender and the
// message to prompt (if prompt is not nil), asks "reply> ", and returns the
// next line of in, newline included (one is added to a last line that has
// none).
//
// Blank lines are skipped: sending no bytes sends nothing, and the client
// would wait for ever (claim T4). The note's server sends them anyway.
//
// A goroutine reads in, one line per reply asked for. When the server closes
// while it waits, the line it reads later is kept for the next reply.
func OperatorReplies(in io.Reader, prompt io.Writer) ReplyFunc {
	o := &operator{in: bufio.NewReader(in), prompt: prompt, turn: make(chan struct{}, 1)}
	return o.reply
}

type operator struct {
	in     *bufio.Reader
	prompt io.Writer
	turn   chan struct{} // held by the reply being typed
	line   chan typed    // the line being read, if one is; guarded by turn
}

type typed struct {
	text []byte
	err  error
}

func (o *operator) reply(ctx context.Context, msg []byte, from net.Addr) ([]byte, error) {
	select { // one operator: one reply at a time
	case o.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-o.turn }()
	if o.prompt != nil {
		fmt.Fprintf(o.prompt, "%s sent %q\nreply> ", from, msg)
	}
	if o.line == nil {
		line := make(chan typed, 1) // the reader never waits on it
		go func() { line <- o.next() }()
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

// next returns the next line of input that is not blank.
func (o *operator) next() typed {
	for {
		text, err := o.in.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 {
			if text[len(text)-1] != '\n' {
				text = append(text, '\n')
			}
			return typed{text: text} // an error comes again at the next read
		}
		switch {
		case errors.Is(err, io.EOF):
			return typed{err: ErrOperatorGone}
		case err != nil:
			return typed{err: fmt.Errorf("%w: %w", ErrOperatorGone, err)}
		}
	}
}
