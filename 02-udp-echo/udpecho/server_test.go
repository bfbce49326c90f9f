package udpecho_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

func TestServerEchoesAnyDatagram(t *testing.T) {
	addr := startServer(t, &udpecho.Server{}) // nil Logger: discard
	c := dial(t, addr, wait)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := []struct {
		name string
		msg  []byte
	}{
		{"text", []byte("hello")},
		{"empty", nil},
		{"every byte value", all},
		{"invalid UTF-8", []byte{0xff, 0xfe, 'x', 0xc3}},
		{"Chinese", []byte("你好,世界")},
		{"larger than the note's 1024-byte buffer", bytes.Repeat([]byte("z"), 5000)},
		{"largest IPv4 payload", bytes.Repeat([]byte{0xab}, udpecho.MaxPayload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := c.Exchange(context.Background(), tt.msg)
			require.NoError(t, err)
			if !bytes.Equal(reply, tt.msg) {
				t.Errorf("Exchange(%d bytes) = %d bytes that differ from the message", len(tt.msg), len(reply))
			}
		})
	}
}

func TestServerLogsEachDatagramWithSource(t *testing.T) {
	rec := newRecorder()
	addr := startServer(t, &udpecho.Server{Logger: slog.New(rec)})
	c := dial(t, addr, wait)
	_, err := c.Exchange(context.Background(), []byte("hello"))
	require.NoError(t, err)
	long := strings.Repeat("y", 100)
	_, err = c.Exchange(context.Background(), []byte(long))
	require.NoError(t, err)

	got := rec.waitFor(t, "datagram", 2)
	assert.Equal(t, map[string]string{"remote": c.LocalAddr().String(), "bytes": "5", "text": "hello"}, got[0].Attrs)
	assert.Equal(t, map[string]string{"remote": c.LocalAddr().String(), "bytes": "100", "text": long[:64] + "..."}, got[1].Attrs,
		"a long datagram is logged by its first 64 bytes")
	listening := rec.find("listening")
	require.Len(t, listening, 1)
	assert.Equal(t, addr, listening[0].Attrs["addr"])
}

func TestServeAfterCloseReturnsErrServerClosed(t *testing.T) {
	var s udpecho.Server
	require.NoError(t, s.Close())
	pc := listenUDP(t)
	err := s.Serve(pc)
	assert.ErrorIs(t, err, udpecho.ErrServerClosed, "Serve after Close")
	_, _, err = pc.ReadFrom(make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed, "Serve closes the PacketConn it was given")
	assert.ErrorIs(t, s.ListenAndServe(), udpecho.ErrServerClosed, "ListenAndServe after Close")
}

func TestListenAndServe(t *testing.T) {
	rec := newRecorder()
	s := &udpecho.Server{Addr: "127.0.0.1:0", Logger: slog.New(rec)}
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe() }()
	addr := rec.waitFor(t, "listening", 1)[0].Attrs["addr"]

	c := dial(t, addr, wait)
	reply, err := c.Exchange(context.Background(), []byte("ping"))
	require.NoError(t, err)
	assert.Equal(t, "ping", string(reply))

	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, udpecho.ErrServerClosed)
	case <-time.After(wait):
		t.Fatal("ListenAndServe did not return after Close")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	s := &udpecho.Server{Addr: "127.0.0.1:99999"}
	err := s.ListenAndServe()
	require.Error(t, err)
	assert.NotErrorIs(t, err, udpecho.ErrServerClosed)
	assert.Contains(t, err.Error(), "invalid port")
}

// flakyConn is a PacketConn whose first read and first write fail.
type flakyConn struct {
	net.PacketConn
	reads, writes atomic.Int32
}

var errInjected = &net.OpError{Op: "read", Net: "udp", Err: syscall.ECONNRESET}

func (c *flakyConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.reads.Add(1) == 1 {
		return 0, nil, errInjected
	}
	return c.PacketConn.ReadFrom(p)
}

func (c *flakyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.writes.Add(1) == 1 {
		return 0, errInjected
	}
	return c.PacketConn.WriteTo(p, addr)
}

// On Windows a read on a UDP socket can fail with "connection reset" after
// an earlier reply went to a client that had gone away; a failed reply is
// possible anywhere. Neither may stop the server.
func TestServerSurvivesReadAndReplyErrors(t *testing.T) {
	rec := newRecorder()
	s := &udpecho.Server{Logger: slog.New(rec)}
	pc := &flakyConn{PacketConn: listenUDP(t)}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	defer func() {
		require.NoError(t, s.Close())
		assert.ErrorIs(t, <-errc, udpecho.ErrServerClosed)
	}()

	client := listenUDP(t)
	_, err := client.WriteTo([]byte("first"), pc.LocalAddr())
	require.NoError(t, err)
	rec.waitFor(t, "reply failed", 1) // the reply to "first" was lost
	_, err = client.WriteTo([]byte("second"), pc.LocalAddr())
	require.NoError(t, err)
	msg, _ := readFrom(t, client, 1024)
	assert.Equal(t, "second", string(msg))
	failures := rec.find("read failed; retrying")
	require.Len(t, failures, 1, "logged read failures")
	assert.Equal(t, "5ms", failures[0].Attrs["delay"], "the first wait after a failed read")
}

func TestServeReturnsReplyFuncError(t *testing.T) {
	errBoom := errors.New("boom")
	s := &udpecho.Server{Reply: func(context.Context, []byte, net.Addr) ([]byte, error) { return nil, errBoom }}
	pc := listenUDP(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	client := listenUDP(t)
	_, err := client.WriteTo([]byte("x"), pc.LocalAddr())
	require.NoError(t, err)
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, errBoom)
	case <-time.After(wait):
		t.Fatal("Serve did not return the ReplyFunc's error")
	}
}

// The operator types each reply, as in the note; input().strip() sends an
// empty line as an empty datagram.
func TestOperatorRepliesTypedByOperator(t *testing.T) {
	var screen bytes.Buffer
	typed := strings.NewReader("first reply\n\n  second  \n")
	s := &udpecho.Server{Reply: udpecho.OperatorReplies(typed, &screen)}
	pc := listenUDP(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()

	c := dial(t, pc.LocalAddr().String(), wait)
	for _, want := range []string{"first reply", "", "second"} {
		reply, err := c.Exchange(context.Background(), []byte("hi"))
		require.NoError(t, err)
		assert.Equal(t, want, string(reply))
	}
	// The operator's input has ended: the next datagram stops the server.
	other := listenUDP(t)
	_, err := other.WriteTo([]byte("third"), pc.LocalAddr())
	require.NoError(t, err)
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, udpecho.ErrOperatorGone)
	case <-time.After(wait):
		t.Fatal("Serve did not stop at the end of the operator's input")
	}
	asked := c.LocalAddr().String() + " sent \"hi\"\nreply> "
	want := asked + asked + asked + other.LocalAddr().String() + " sent \"third\"\nreply> "
	assert.Equal(t, want, screen.String(), "what the operator sees")
}

// Close does not wait for an operator who never answers.
func TestOperatorRepliesStopWhenServerCloses(t *testing.T) {
	in, inW := io.Pipe() // the operator never types
	defer inW.Close()
	rec := newRecorder()
	s := &udpecho.Server{Reply: udpecho.OperatorReplies(in, nil), Logger: slog.New(rec)}
	pc := listenUDP(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	client := listenUDP(t)
	_, err := client.WriteTo([]byte("x"), pc.LocalAddr())
	require.NoError(t, err)
	rec.waitFor(t, "datagram", 1) // the server now waits for the operator
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, udpecho.ErrServerClosed)
	case <-time.After(wait):
		t.Fatal("Serve did not return after Close")
	}
}
