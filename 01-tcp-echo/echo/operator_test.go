package echo_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// syncBuffer is a strings.Builder safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// In interactive mode the operator types each reply, as in the note's server.
func TestOperatorTypesReplies(t *testing.T) {
	opR, opW := io.Pipe()
	t.Cleanup(func() { opW.Close() })
	var prompt syncBuffer
	addr := startServer(t, &echo.Server{Reply: echo.OperatorReplies(opR, &prompt)})
	conn := dial(t, addr)
	replies := bufio.NewReader(conn)
	// The operator's lines go through a goroutine: io.Pipe blocks a writer
	// until the server reads, and the test must not block with it.
	typed := make(chan error, 1)
	typeLines := func(s string) {
		go func() {
			_, err := io.WriteString(opW, s)
			typed <- err
		}()
	}

	_, err := io.WriteString(conn, "hello server")
	require.NoError(t, err)
	typeLines("\n   \nhello client\n") // blank lines are skipped (T4)
	got, err := replies.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "hello client\n", got)
	require.NoError(t, <-typed)
	assert.Contains(t, prompt.String(), `sent "hello server"`)
	assert.Contains(t, prompt.String(), "reply> ")

	_, err = io.WriteString(conn, "again")
	require.NoError(t, err)
	typeLines("second reply\n")
	got, err = replies.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "second reply\n", got)
	require.NoError(t, <-typed)
}

// When the operator's input ends, the conversation ends and Serve returns
// ErrOperatorGone.
func TestOperatorGone(t *testing.T) {
	s := &echo.Server{Reply: echo.OperatorReplies(strings.NewReader("only reply"), nil)}
	ln := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })

	conn := dial(t, ln.Addr().String())
	replies := bufio.NewReader(conn)
	_, err := io.WriteString(conn, "one")
	require.NoError(t, err)
	got, err := replies.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "only reply\n", got, "a last line without newline gets one")

	_, err = io.WriteString(conn, "two")
	require.NoError(t, err)
	_, err = replies.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF, "client Read after the operator left")
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, echo.ErrOperatorGone)
	case <-time.After(timeout):
		t.Fatal("Serve did not return after the operator's input ended")
	}
}

// Close does not wait for an operator who never answers.
func TestOperatorCloseWhileWaitingForOperator(t *testing.T) {
	opR, opW := io.Pipe()
	defer opW.Close()
	logger, logs := newLogRecorder()
	s := &echo.Server{Reply: echo.OperatorReplies(opR, nil), Logger: logger}
	ln := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()

	conn := dial(t, ln.Addr().String())
	_, err := io.WriteString(conn, "anyone there?")
	require.NoError(t, err)
	logs.wait(t, "message")
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, echo.ErrServerClosed, "Serve()")
	case <-time.After(timeout):
		t.Fatal("Serve did not return after Close")
	}
}

// A ReadLine given up when its context ends does not lose the line typed
// for it: the next ReadLine returns it. At the end of the input ReadLine
// returns ErrOperatorGone.
func TestOperatorKeepsLineTypedAfterCancel(t *testing.T) {
	in, typist := io.Pipe()
	t.Cleanup(func() { typist.Close() })
	op := echo.NewOperator(in)

	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := op.ReadLine(ctx)
		gaveUp <- err
	}()
	cancel()
	assert.ErrorIs(t, <-gaveUp, context.Canceled)

	typed := make(chan error, 1)
	go func() {
		_, err := io.WriteString(typist, "typed late\nlast, no newline")
		typist.Close() // the end of the input
		typed <- err
	}()
	ctx, cancel = context.WithTimeout(t.Context(), timeout)
	defer cancel()
	line, err := op.ReadLine(ctx)
	require.NoError(t, err)
	assert.Equal(t, "typed late\n", string(line))
	line, err = op.ReadLine(ctx)
	require.NoError(t, err)
	assert.Equal(t, "last, no newline", string(line), "a last line, at the end of the input")
	require.NoError(t, <-typed)
	_, err = op.ReadLine(ctx)
	assert.ErrorIs(t, err, echo.ErrOperatorGone)
}
