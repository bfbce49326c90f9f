package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

// wait bounds every wait in these tests.
const wait = 20 * time.Second

// startEchoServer runs an in-process echo server and returns its address.
func startEchoServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	s := &udpecho.Server{}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, udpecho.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return pc.LocalAddr().String()
}

func TestRunEchoesLinesIncludingEmptyOnes(t *testing.T) {
	addr := startEchoServer(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-addr", addr}, strings.NewReader("hello\n\nworld\r\n"), &stdout, &stderr)
	require.NoError(t, err)
	assert.Equal(t, "hello\n\nworld\n", stdout.String(), "stdout: no prompt, since stdin is not a terminal")
	assert.Empty(t, stderr.String())
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	addr := startEchoServer(t)
	stdin, stdinW := io.Pipe()
	defer stdinW.Close()
	stdoutR, stdout := io.Pipe()
	defer stdoutR.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"-addr", addr}, stdin, stdout, io.Discard) }()

	// One exchange, so the client is surely up and waiting for the next line.
	_, err := stdinW.Write([]byte("hello\n"))
	require.NoError(t, err)
	reply := make([]byte, len("hello\n"))
	_, err = io.ReadFull(stdoutR, reply)
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(reply))

	cancel() // as Ctrl-C does, through signal.NotifyContext
	select {
	case err := <-errc:
		assert.NoError(t, err, "run after Ctrl-C")
	case <-time.After(wait):
		t.Fatal("run did not return after its context ended")
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-timeout", "0s"}, {"-timeout", "soon"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.ErrorIs(t, err, errUsage, "run(%q)", args)
		assert.Contains(t, stderr.String(), "Usage", "run(%q) stderr", args)
	}
}

func TestRunLineTooLongForADatagram(t *testing.T) {
	addr := startEchoServer(t)
	in := "ok\n" + strings.Repeat("x", udpecho.MaxPayload+10) + "\n"
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-addr", addr}, strings.NewReader(in), &stdout, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too long for one datagram")
	assert.Equal(t, "ok\n", stdout.String(), "the line before the long one was sent and answered")
}
