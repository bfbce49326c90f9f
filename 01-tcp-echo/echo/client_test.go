package echo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

func TestChat(t *testing.T) {
	long := strings.Repeat("0123456789", 10_000) // 100 kB, longer than any buffer
	tests := []struct {
		name, in, prompt, want string
	}{
		{"lines", "hello\nworld\n", "", "hello\nworld\n"},
		{"blank lines skipped", "\n \nhello\n\n\t\nworld\n\n", "", "hello\nworld\n"},
		{"last line without newline", "hello\nworld", "", "hello\nworld\n"},
		{"empty input", "", "", ""},
		{"only blank lines", "\n\n  \n", "", ""},
		{"CRLF kept", "dos\r\n", "", "dos\r\n"},
		{"spaces kept", "  two  words  \n", "", "  two  words  \n"},
		{"UTF-8", "你好,世界\n", "", "你好,世界\n"},
		{"long line", long + "\n", "", long + "\n"},
		{"prompt", "a\n\nb\n", ">> ", ">> a\n>> >> b\n>> \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startServer(t, &echo.Server{})
			conn := dial(t, addr)
			var out bytes.Buffer
			err := echo.Chat(conn, strings.NewReader(tt.in), &out, tt.prompt)
			require.NoError(t, err, "Chat(%q)", tt.in)
			if got := out.String(); got != tt.want {
				t.Errorf("Chat(%.40q) wrote %.40q (%d bytes), want %.40q (%d bytes)",
					tt.in, got, len(got), tt.want, len(tt.want))
			}
		})
	}
}

func TestChatOneByteReader(t *testing.T) {
	addr := startServer(t, &echo.Server{})
	conn := dial(t, addr)
	var out bytes.Buffer
	in := iotest.OneByteReader(strings.NewReader("slow\n\ninput"))
	require.NoError(t, echo.Chat(conn, in, &out, ""))
	assert.Equal(t, "slow\ninput\n", out.String())
}

func TestChatInputError(t *testing.T) {
	addr := startServer(t, &echo.Server{})
	conn := dial(t, addr)
	boom := errors.New("boom")
	in := io.MultiReader(strings.NewReader("ok\n"), iotest.ErrReader(boom))
	var out bytes.Buffer
	err := echo.Chat(conn, in, &out, "")
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "ok\n", out.String())
}

// A server that reads one message and then leaves in the given way.
func leavingServer(t *testing.T, leave func(*net.TCPConn) error) string {
	t.Helper()
	ln := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.(*net.TCPListener).AcceptTCP()
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		if _, err := conn.Read(make([]byte, 1024)); err != nil {
			t.Errorf("server Read: %v", err)
		}
		if err := leave(conn); err != nil {
			t.Errorf("server leaving: %v", err)
		}
	}()
	t.Cleanup(func() { <-done })
	return ln.Addr().String()
}

func TestChatReportsDroppedConnection(t *testing.T) {
	tests := []struct {
		name  string
		leave func(*net.TCPConn) error
		want  string
		is    error
	}{
		{"close", (*net.TCPConn).Close, "connection dropped by the server", io.EOF},
		{"reset", func(c *net.TCPConn) error {
			if err := c.SetLinger(0); err != nil {
				return err
			}
			return c.Close()
		}, "connection dropped by the server: connection reset by peer", syscall.ECONNRESET},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := leavingServer(t, tt.leave)
			conn := dial(t, addr)
			var out bytes.Buffer
			err := echo.Chat(conn, strings.NewReader("hello\nagain\n"), &out, "")
			var lost *echo.LostError
			require.ErrorAs(t, err, &lost)
			assert.ErrorIs(t, err, tt.is)
			assert.Equal(t, tt.want, err.Error())
			assert.Empty(t, out.String())
		})
	}
}

func TestDialErrors(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"127.0.0.1", `bad address "127.0.0.1": missing port in address`},
		{"127.0.0.1:0", `bad address "127.0.0.1:0": port must be a number from 1 to 65535`},
		{"127.0.0.1:99999", `bad address "127.0.0.1:99999": port must be a number from 1 to 65535`},
		{"127.0.0.1:http", `bad address "127.0.0.1:http": port must be a number from 1 to 65535`},
		{"[::1", `bad address "[::1": missing ']' in address`},
		{"", `bad address "": missing port in address`},
	}
	for _, tt := range tests {
		conn, err := echo.Dial(t.Context(), tt.addr)
		if err == nil {
			conn.Close()
			t.Errorf("Dial(%q) succeeded, want an error", tt.addr)
			continue
		}
		assert.ErrorIs(t, err, echo.ErrBadAddress, "Dial(%q)", tt.addr)
		assert.Equal(t, tt.want, err.Error(), "Dial(%q)", tt.addr)
	}
}

func TestDialCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := echo.Dial(ctx, "127.0.0.1:9")
	var ce *echo.ConnectError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "127.0.0.1:9", ce.Addr)
}

// repeatByte is an endless reader of one byte value.
type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// countWriter counts the bytes written to it and checks they are all want,
// apart from a final newline.
type countWriter struct {
	n, bad int64
	want   byte
}

func (w *countWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b != w.want && b != '\n' {
			w.bad++
		}
	}
	w.n += int64(len(p))
	return len(p), nil
}

// A line far longer than the socket buffers goes through in constant memory
// and without deadlock: Chat reads the echo while it is still sending. (A
// client that sent the whole line before reading would block forever once
// the four buffers between it and the echoing peer were full.)
func TestChatHugeLine(t *testing.T) {
	const size = 4 << 20 // far more than the four 64 KiB buffers below
	ln := listen(t)
	done := make(chan error, 1)
	go func() {
		// A plain echo peer with small buffers.
		conn, err := ln.(*net.TCPListener).AcceptTCP()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		if err := conn.SetReadBuffer(64 << 10); err != nil {
			done <- err
			return
		}
		if err := conn.SetWriteBuffer(64 << 10); err != nil {
			done <- err
			return
		}
		conn.SetDeadline(time.Now().Add(timeout))
		_, err = io.Copy(conn, conn)
		done <- err
	}()
	conn := dial(t, ln.Addr().String())
	require.NoError(t, conn.SetWriteBuffer(64<<10))
	require.NoError(t, conn.SetReadBuffer(64<<10))

	in := io.MultiReader(io.LimitReader(repeatByte('x'), size), strings.NewReader("\n"))
	out := &countWriter{want: 'x'}
	require.NoError(t, echo.Chat(conn, in, out, ""))
	assert.Equal(t, int64(size+1), out.n, "bytes echoed")
	assert.Zero(t, out.bad, "bytes changed on the way")
	require.NoError(t, conn.Close())
	assert.NoError(t, <-done, "echo peer")
}

// The server answers one line and closes while the client waits for its
// next line of input. Chat says so at once; it does not wait for the input.
func TestChatServerLeavesBetweenLines(t *testing.T) {
	addr := leavingServer(t, func(c *net.TCPConn) error {
		if _, err := c.Write([]byte("one\n")); err != nil {
			return err
		}
		return c.Close()
	})
	conn := dial(t, addr)
	in, typist := io.Pipe() // "one", then nothing more until cleanup
	t.Cleanup(func() { in.Close() })
	go io.WriteString(typist, "one\n")
	var out syncBuffer
	err := echo.Chat(conn, in, &out, "")
	assert.Equal(t, "one\n", out.String())
	var lost *echo.LostError
	require.ErrorAs(t, err, &lost)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "connection dropped by the server", err.Error())
}

// A server that holds the connection open and answers without newlines, as
// the note's server does (input() drops the newline). Each reply shows as
// soon as it arrives, while the conversation goes on.
func TestChatShowsEachReadAsItArrives(t *testing.T) {
	ln := listen(t)
	conn := dial(t, ln.Addr().String())
	server := accept(t, ln)
	served := make(chan error, 1)
	go func() {
		served <- func(conn net.Conn) error {
			buf := make([]byte, 1024)
			for _, reply := range []string{"hi", "there"} {
				if _, err := conn.Read(buf); err != nil {
					return err
				}
				if _, err := conn.Write([]byte(reply)); err != nil {
					return err
				}
			}
			// The client's input has ended: it half-closed, and still reads.
			if n, err := conn.Read(buf); err != io.EOF {
				return fmt.Errorf("read after the client's input ended = %d, %v; want EOF", n, err)
			}
			if _, err := conn.Write([]byte(", bye")); err != nil {
				return err
			}
			return conn.Close()
		}(server)
	}()

	in, typist := io.Pipe()
	t.Cleanup(func() { in.Close() })
	out, screen := io.Pipe()
	t.Cleanup(func() { out.Close() })
	chatted := make(chan error, 1)
	go func() {
		chatted <- echo.Chat(conn, in, screen, "")
		screen.Close()
	}()
	shows := func(want string) {
		t.Helper()
		got := make([]byte, len(want))
		// Bounded: at its deadline conn fails, Chat returns, screen closes.
		_, err := io.ReadFull(out, got)
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}

	go io.WriteString(typist, "hello\n")
	shows("hi") // no newline came, and the input is still open
	go io.WriteString(typist, "again\n")
	shows("there")
	typist.Close()
	shows(", bye")
	rest, err := io.ReadAll(out)
	require.NoError(t, err)
	assert.Empty(t, rest)
	assert.NoError(t, <-chatted, "Chat")
	assert.NoError(t, <-served, "server")
}
