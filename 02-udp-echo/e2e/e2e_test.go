// Package e2e holds the end-to-end tests of chapter 02: they build the real
// server and client and drive them through standard input and output as a
// person would, and run them against the note's Python programs.
package e2e

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/proctest"
)

const cmd = "github.com/gosockets/tutorial/02-udp-echo/cmd/"

// listenUDP binds a UDP socket on a free loopback port.
func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc
}

// deadAddr returns a loopback UDP address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	return addr
}

// exchange sends msg from pc to addr and returns the reply.
func exchange(t *testing.T, pc net.PacketConn, addr string, msg []byte) []byte {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	_, err = pc.WriteTo(msg, to)
	require.NoError(t, err)
	return receive(t, pc, addr)
}

// receive returns the next datagram pc receives, which must come from addr.
func receive(t *testing.T, pc net.PacketConn, addr string) []byte {
	t.Helper()
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(proctest.Wait)))
	buf := make([]byte, 1<<16)
	n, from, err := pc.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, addr, from.String(), "the reply's source address")
	return buf[:n]
}

func TestEndToEnd(t *testing.T) {
	bins := proctest.Build(t, cmd+"server", cmd+"client")
	server, client := bins[0], bins[1]
	startServer := func(t *testing.T, args ...string) (*proctest.Proc, string) {
		t.Helper()
		p := proctest.Start(t, server, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
		return p, p.Stderr.After(t, "msg=listening addr=")
	}

	t.Run("U3 client and server, an empty line too", func(t *testing.T) {
		srv, addr := startServer(t)
		res := proctest.Run(t, "hello\n\n你好, UDP\nbye\n", client, "-addr", addr)
		assert.Equal(t, 0, res.Code, "client exit status; stderr %q", res.Stderr)
		assert.Equal(t, "hello\n\n你好, UDP\nbye\n", res.Stdout, "client output")
		assert.Empty(t, res.Stderr, "client errors")
		// The server logged each datagram with the client's address, the
		// empty one too.
		assert.Regexp(t, `msg=datagram remote=127\.0\.0\.1:\d+ bytes=5 text=hello$`, srv.Stderr.Line(t, "msg=datagram"))
		assert.Regexp(t, `msg=datagram remote=127\.0\.0\.1:\d+ bytes=0 text=""$`, srv.Stderr.Line(t, "msg=datagram"))
	})

	t.Run("server echoes any datagram and stops on Ctrl-C", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("skipping: os.Interrupt cannot be sent to a process on Windows")
		}
		srv, addr := startServer(t)
		pc := listenUDP(t)
		from := pc.LocalAddr().String()
		for _, tt := range []struct {
			msg []byte
			log string
		}{
			{[]byte("hello"), "bytes=5 text=hello"},
			{[]byte{}, `bytes=0 text=""`},
			{[]byte{0x00, 0xff, '\n', 0xc3}, `bytes=4 text="\x00\xff\n\xc3"`},
			{bytes.Repeat([]byte("big"), 10000), "bytes=30000 text=bigbigbig"},
		} {
			assert.Equal(t, tt.msg, exchange(t, pc, addr, tt.msg), "echo of a %d-byte datagram", len(tt.msg))
			assert.Contains(t, srv.Stderr.Line(t, "msg=datagram"), "remote="+from+" "+tt.log)
		}
		srv.Signal(t, os.Interrupt)
		assert.Equal(t, 0, srv.Exit(t), "server exit status after Ctrl-C")
		srv.Stderr.Line(t, "msg=stopped")
	})

	t.Run("U4 server goes away", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("skipping: os.Interrupt cannot be sent to a process on Windows")
		}
		srv, addr := startServer(t)
		cli := proctest.Start(t, client, "-addr", addr)
		cli.Type(t, "one\n")
		assert.Equal(t, "one\n", cli.Stdout.Next(t, "\n"))
		srv.Signal(t, os.Interrupt)
		require.Equal(t, 0, srv.Exit(t), "server exit status")

		// The next line learns of it from the ICMP answer (Linux).
		cli.Type(t, "two\n")
		assert.Equal(t, 1, cli.Exit(t), "client exit status")
		assert.Equal(t, "client: no server at "+addr+" (connection refused): is the server running?\n", cli.Stderr.String())
	})

	t.Run("U4 no server", func(t *testing.T) {
		addr := deadAddr(t)
		res := proctest.Run(t, "hello\n", client, "-addr", addr)
		assert.Equal(t, 1, res.Code, "client exit status")
		assert.Empty(t, res.Stdout)
		assert.Equal(t, "client: no server at "+addr+" (connection refused): is the server running?\n", res.Stderr)
	})

	t.Run("client ends at the end of its input", func(t *testing.T) {
		res := proctest.Run(t, "", client, "-addr", deadAddr(t))
		assert.Equal(t, 0, res.Code, "client exit status; stderr %q", res.Stderr)
		assert.Empty(t, res.Stdout)
		assert.Empty(t, res.Stderr)
	})

	t.Run("lost reply", func(t *testing.T) {
		silent := listenUDP(t) // bound, so no ICMP answer comes, but it never replies
		addr := silent.LocalAddr().String()
		res := proctest.Run(t, "hello\nnever sent\n", client, "-addr", addr, "-timeout", "200ms")
		assert.Equal(t, 1, res.Code, "client exit status")
		assert.Empty(t, res.Stdout)
		assert.Equal(t, "client: no reply from "+addr+" within 200ms\n", res.Stderr)
	})

	t.Run("bad address", func(t *testing.T) {
		for _, tt := range []struct{ addr, want string }{
			{"nonsense", `client: bad address "nonsense": missing port in address` + "\n"},
			{"127.0.0.1:99999", `client: bad address "127.0.0.1:99999": invalid port` + "\n"},
		} {
			res := proctest.Run(t, "hello\n", client, "-addr", tt.addr)
			assert.Equal(t, 1, res.Code, "client exit status for -addr %s", tt.addr)
			assert.Equal(t, tt.want, res.Stderr, "client -addr %s", tt.addr)
		}
		res := proctest.Run(t, "", server, "-addr", "nonsense")
		assert.Equal(t, 1, res.Code, "server exit status")
		assert.Equal(t, "server: cannot listen on nonsense: address nonsense: missing port in address\n", res.Stderr)
	})

	t.Run("interactive", func(t *testing.T) {
		srv, addr := startServer(t, "-interactive")
		pc := listenUDP(t)
		to, err := net.ResolveUDPAddr("udp", addr)
		require.NoError(t, err)

		_, err = pc.WriteTo([]byte("hi server"), to)
		require.NoError(t, err)
		assert.Equal(t, pc.LocalAddr().String()+" sent \"hi server\"\nreply> ", srv.Stdout.Next(t, "reply> "), "what the operator sees")
		srv.Type(t, "  hello from the operator \n")
		assert.Equal(t, "hello from the operator", string(receive(t, pc, addr)), "the reply, stripped as input().strip() does")

		// When the operator's input ends, the server stops at the next
		// datagram, which it cannot answer.
		srv.CloseStdin(t)
		_, err = pc.WriteTo([]byte("anyone?"), to)
		require.NoError(t, err)
		assert.Equal(t, 0, srv.Exit(t), "server exit status at the end of operator input")
		srv.Stderr.Line(t, "operator input ended")
	})

	t.Run("prompt only on a terminal", func(t *testing.T) {
		_, addr := startServer(t)
		master, tty := proctest.OpenPTY(t)
		cli := proctest.StartStdin(t, tty, client, "-addr", addr)
		_, err := master.WriteString("hello\n\x04") // a line, then Ctrl-D
		require.NoError(t, err)
		assert.Equal(t, 0, cli.Exit(t), "client exit status after Ctrl-D")
		assert.Equal(t, ">> hello\n>> \n", cli.Stdout.String(), "prompt, reply, prompt, newline at end of input")
	})

	t.Run("U5 the note's Python client, our server", func(t *testing.T) {
		py := proctest.Python(t)
		srv, addr := startServer(t)
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		long := strings.Repeat("abcdefghij", 200) // 2000 bytes
		res := proctest.Run(t, "hello\n\n你好\n"+long+"\n", py, "-u", filepath.Join("..", "note", "testdata", "client.py"), port)
		require.Equal(t, 0, res.Code, "client.py: %s", res.Stderr)
		peer := " ('127.0.0.1', " + port + ")\n>>:"
		// The empty line went out as an empty datagram (U3). Our server
		// echoed all 2000 bytes; the note's recvfrom(1024) kept the first
		// 1024 and Linux dropped the rest (U5).
		assert.Equal(t, ">>:hello"+peer+peer+"你好"+peer+long[:1024]+peer, res.Stdout, "the Python client's screen")
		srv.Stderr.Line(t, "bytes=2000")
	})

	t.Run("U5 our client, the note's Python server", func(t *testing.T) {
		py := proctest.Python(t)
		srv := proctest.Start(t, py, "-u", filepath.Join("..", "note", "testdata", "server.py"), "0")
		addr := srv.Stdout.After(t, "start..... ")
		cli := proctest.Start(t, client, "-addr", addr, "-timeout", "1m") // a person types the replies
		peer := ` \('127\.0\.0\.1', \d+\)\n$`
		long := strings.Repeat("0123456789", 200) // 2000 bytes

		for _, tt := range []struct{ line, printed, typed, reply string }{
			{"hello", "^hello" + peer, "hi from Python", "hi from Python\n"},
			{"", "^" + peer, "", "\n"}, // empty both ways (U3)
			{long, "^" + long[:1024] + peer, "cut", "cut\n"},
		} {
			cli.Type(t, tt.line+"\n")
			assert.Regexp(t, tt.printed, srv.Stdout.Next(t, "\n"), "what the Python server printed")
			srv.Stdout.Next(t, ">> :")
			srv.Type(t, tt.typed+"\n")
			assert.Equal(t, tt.reply, cli.Stdout.Next(t, "\n"), "what our client printed")
			assert.False(t, cli.Exited() || srv.Exited(), "both still running")
		}
		cli.CloseStdin(t)
		assert.Equal(t, 0, cli.Exit(t), "client exit status")
		assert.Empty(t, cli.Stderr.String())
	})
}
