// Package e2e holds the end-to-end tests of chapter 01: they build the real
// server and client and drive them through standard input and output as a
// person would, and run them against the note's Python programs.
package e2e

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/proctest"
)

const cmd = "github.com/gosockets/tutorial/01-tcp-echo/cmd/"

// binaries are the paths of the built programs.
type binaries struct{ server, client string }

// startServer runs the server on a free loopback port and returns it with
// the address it listens on, read from its log.
func startServer(t *testing.T, b binaries, args ...string) (*proctest.Proc, string) {
	t.Helper()
	p := proctest.Start(t, b.server, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	return p, p.Stderr.After(t, "msg=listening addr=")
}

// freeAddr returns a loopback address on which nothing listens.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// port returns the port of addr.
func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return p
}

// turn plays one turn with a server whose operator types the replies: the
// client sends msg, the server prints it (the line printed), the operator
// types reply, and the client shows it at once, without a newline, while
// both programs go on running.
func turn(t *testing.T, client, srv *proctest.Proc, msg, printed, reply string) {
	t.Helper()
	client.Type(t, msg+"\n")
	assert.Equal(t, printed, srv.Stdout.Line(t, msg), "the server's line for %q", msg)
	srv.Type(t, reply+"\n")
	assert.Equal(t, reply, client.Stdout.NextN(t, len(reply)), "the client's output")
	assert.False(t, client.Exited() || srv.Exited(), "both still running")
}

func TestEndToEnd(t *testing.T) {
	bins := proctest.Build(t, cmd+"server", cmd+"client")
	b := binaries{server: bins[0], client: bins[1]}

	t.Run("T4 echo, blank line skipped", func(t *testing.T) {
		srv, addr := startServer(t, b)
		res := proctest.Run(t, "hello\n\nworld\n", b.client, "-addr", addr)
		assert.Equal(t, "hello\nworld\n", res.Stdout, "client output")
		assert.Empty(t, res.Stderr, "client errors")
		assert.Equal(t, 0, res.Code, "client exit status")
		srv.Stderr.Line(t, `msg="client connected"`)
		assert.Contains(t, srv.Stderr.Line(t, "msg=message"), `text="hello\n"`)
		assert.Contains(t, srv.Stderr.Line(t, "msg=message"), `text="world\n"`)
		assert.Contains(t, srv.Stderr.Line(t, `msg="client left"`), `reason="closed by client"`)
	})

	t.Run("T5 no server", func(t *testing.T) {
		addr := freeAddr(t)
		res := proctest.Run(t, "hello\n", b.client, "-addr", addr)
		assert.Empty(t, res.Stdout)
		assert.Equal(t, "client: no server at "+addr+" (connection refused): is the server running?\n", res.Stderr)
		assert.Equal(t, 1, res.Code, "client exit status")
	})

	t.Run("bad address", func(t *testing.T) {
		for _, tt := range []struct{ addr, want string }{
			{"127.0.0.1", `client: bad address "127.0.0.1": missing port in address` + "\n"},
			{"127.0.0.1:70000", `client: bad address "127.0.0.1:70000": port must be a number from 1 to 65535` + "\n"},
		} {
			res := proctest.Run(t, "hello\n", b.client, "-addr", tt.addr)
			assert.Empty(t, res.Stdout)
			assert.Equal(t, tt.want, res.Stderr, "client -addr %s", tt.addr)
			assert.Equal(t, 1, res.Code, "client -addr %s exit status", tt.addr)
		}
	})

	t.Run("bad flag", func(t *testing.T) {
		res := proctest.Run(t, "", b.client, "-nosuchflag")
		assert.Contains(t, res.Stderr, "flag provided but not defined: -nosuchflag")
		assert.Equal(t, 2, res.Code, "client exit status for a usage error")
	})

	t.Run("dropped connection", func(t *testing.T) {
		srv, addr := startServer(t, b)
		client := proctest.Start(t, b.client, "-addr", addr)
		client.Type(t, "one\n")
		assert.Equal(t, "one\n", client.Stdout.Next(t, "\n"))

		srv.Signal(t, os.Kill) // the server dies mid-conversation
		srv.Exit(t)
		// The client finds out at once, while its input is still open.
		assert.Equal(t, 1, client.Exit(t), "client exit status")
		assert.Equal(t, "client: connection dropped by the server\n", client.Stderr.String())
	})

	t.Run("T6 server survives a crashing client", func(t *testing.T) {
		srv, addr := startServer(t, b)
		crasher := proctest.Start(t, b.client, "-addr", addr)
		crasher.Type(t, "about to crash\n")
		assert.Equal(t, "about to crash\n", crasher.Stdout.Next(t, "\n"))
		crasher.Signal(t, os.Kill) // no chance to close its socket
		crasher.Exit(t)
		srv.Stderr.Line(t, `msg="client left"`)

		res := proctest.Run(t, "still there?\n", b.client, "-addr", addr)
		assert.Equal(t, "still there?\n", res.Stdout)
		assert.Equal(t, 0, res.Code)
	})

	t.Run("idle client dropped", func(t *testing.T) {
		srv, addr := startServer(t, b, "-idle", "100ms")
		client := proctest.Start(t, b.client, "-addr", addr) // and types nothing
		assert.Equal(t, 1, client.Exit(t), "client exit status")
		assert.Equal(t, "client: connection dropped by the server\n", client.Stderr.String())
		assert.Contains(t, srv.Stderr.Line(t, `msg="client left"`), "reason=idle idle=100ms")
	})

	t.Run("interactive", func(t *testing.T) {
		srv, addr := startServer(t, b, "-interactive")
		client := proctest.Start(t, b.client, "-addr", addr)
		client.Type(t, "hi server\n")
		assert.Contains(t, srv.Stdout.Next(t, "reply> "), `sent "hi server\n"`)
		srv.Type(t, "hi client, typed by hand\n")
		assert.Equal(t, "hi client, typed by hand\n", client.Stdout.Next(t, "\n"))

		client.CloseStdin(t)
		assert.Equal(t, 0, client.Exit(t), "client exit status")
		assert.Contains(t, srv.Stderr.Line(t, `msg="client left"`), `reason="closed by client"`)
	})

	t.Run("server flags and errors", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		res := proctest.Run(t, "", b.server, "-addr", ln.Addr().String())
		assert.Equal(t, 1, res.Code, "server exit status with its port taken")
		assert.Equal(t, "server: cannot listen on "+ln.Addr().String()+": bind: address already in use\n", res.Stderr)

		res = proctest.Run(t, "", b.server, "extra")
		assert.Equal(t, 2, res.Code, "server exit status with an extra argument")
		assert.Contains(t, res.Stderr, `server: unexpected argument "extra"`)
	})

	t.Run("ctrl-c", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("skipping: os.Interrupt cannot be sent to a process on Windows")
		}
		srv, addr := startServer(t, b)
		client := proctest.Start(t, b.client, "-addr", addr)
		client.Type(t, "hello\n")
		assert.Equal(t, "hello\n", client.Stdout.Next(t, "\n"))

		srv.Signal(t, os.Interrupt)
		assert.Equal(t, 0, srv.Exit(t), "server exit status after Ctrl-C")
		assert.Contains(t, srv.Stderr.String(), `msg="shutting down"`)
		assert.Contains(t, srv.Stderr.String(), `reason="server closing"`)
		assert.Equal(t, 1, client.Exit(t), "client exit status")
		assert.Equal(t, "client: connection dropped by the server\n", client.Stderr.String())
	})

	t.Run("prompt on a terminal", func(t *testing.T) {
		_, addr := startServer(t, b)
		master, tty := proctest.OpenPTY(t)
		client := proctest.StartStdin(t, tty, b.client, "-addr", addr)
		_, err := master.WriteString("hello\n")
		require.NoError(t, err)
		assert.Equal(t, ">> hello\n", client.Stdout.Next(t, "\n"))
		_, err = master.Write([]byte{4}) // Ctrl-D at the start of a line: end of input
		require.NoError(t, err)
		assert.Equal(t, 0, client.Exit(t), "client exit status after Ctrl-D")
		assert.Equal(t, ">> hello\n>> \n", client.Stdout.String(), "prompt, echo, prompt, the newline after Ctrl-D")
	})

	t.Run("the note's Python client, our server", func(t *testing.T) {
		py := proctest.Python(t)
		srv, addr := startServer(t, b)
		res := proctest.Run(t, "hello\n\nnot a word\n", py, "-u", filepath.Join("..", "note", "testdata", "client.py"), port(t, addr))
		require.Equal(t, 0, res.Code, "client.py: %s", res.Stderr)
		assert.Equal(t, ">> :has send=========>\nhas recv==========>\nb'hello'\n"+
			">> :>> :has send=========>\nhas recv==========>\nb'not a word'\n>> :", res.Stdout)
		// Python sends no newline: the server logs exactly what was typed.
		assert.Contains(t, srv.Stderr.Line(t, "msg=message"), "text=hello")
		assert.Contains(t, srv.Stderr.Line(t, "msg=message"), `text="not a word"`)
	})

	// The note's server sends what the operator types, without a newline;
	// our client shows it the moment it arrives.
	t.Run("our client, the note's Python server", func(t *testing.T) {
		py := proctest.Python(t)
		srv := proctest.Start(t, py, "-u", filepath.Join("..", "note", "testdata", "server.py"), "0")
		addr := srv.Stdout.After(t, "start..... ")
		client := proctest.Start(t, b.client, "-addr", addr)

		turn(t, client, srv, "hello", "客户端发来的消息 hello", "hi, typed in Python")
		turn(t, client, srv, "again", "....客户端发来的消息 again", "bye")

		// At the end of its input the client half-closes; the note's server
		// sees recv return b'', closes, and the client exits.
		client.CloseStdin(t)
		assert.Equal(t, 0, client.Exit(t), "client exit status")
		assert.Empty(t, client.Stderr.String())
		assert.Equal(t, "hi, typed in Pythonbye", client.Stdout.String())
	})

	t.Run("our client, the note's ThreadingTCPServer", func(t *testing.T) {
		py := proctest.Python(t)
		srv := proctest.Start(t, py, "-u", filepath.Join("testdata", "threading_server.py"), "0")
		addr := srv.Stdout.After(t, "serving on ")
		client := proctest.Start(t, b.client, "-addr", addr)

		turn(t, client, srv, "hello", "hello", "hi from a thread")
		turn(t, client, srv, "again", ">>again", "bye")

		// The note's handler has no `if not data: break`: after the client
		// half-closes it gets b'' and asks the operator again. When the
		// operator's input ends, input() raises EOFError, the handler dies,
		// and socketserver closes the connection.
		client.CloseStdin(t)
		srv.CloseStdin(t)
		assert.Equal(t, 0, client.Exit(t), "client exit status")
		assert.Empty(t, client.Stderr.String())
		assert.Equal(t, "hi from a threadbye", client.Stdout.String())
		assert.Contains(t, srv.Stderr.Line(t, "Error"), "EOFError")
	})
}
