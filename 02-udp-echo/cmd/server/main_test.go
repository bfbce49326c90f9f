package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/internal/e2etest"
)

// serverBin is the real command, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "udpecho-server-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err := e2etest.Build(dir, "server")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	serverBin = bins[0]
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// exchange sends msg from pc to addr and returns the reply, waiting at most
// e2etest.Wait.
func exchange(t *testing.T, pc net.PacketConn, addr string, msg []byte) []byte {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	_, err = pc.WriteTo(msg, to)
	require.NoError(t, err)
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(e2etest.Wait)))
	buf := make([]byte, 1<<16)
	n, from, err := pc.ReadFrom(buf)
	require.NoError(t, err, "reply to %q", msg)
	assert.Equal(t, addr, from.String(), "reply's source address")
	return buf[:n]
}

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc
}

func TestRunCannotListen(t *testing.T) {
	busy := listenUDP(t)
	for _, tt := range []struct{ addr, want string }{
		{"nonsense", "cannot listen on nonsense: address nonsense: missing port in address"},
		{"127.0.0.1:99999", "cannot listen on 127.0.0.1:99999: address 99999: invalid port"},
		{busy.LocalAddr().String(), "cannot listen on " + busy.LocalAddr().String() + ": bind: address already in use"},
	} {
		err := run(context.Background(), []string{"-addr", tt.addr}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("run(-addr %s) = %v, want %q", tt.addr, err, tt.want)
		}
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.ErrorIs(t, err, errUsage, "run(%q)", args)
		assert.Contains(t, stderr.String(), "Usage", "run(%q) stderr", args)
	}
}

func TestE2E_ServerEchoesAndStopsOnInterrupt(t *testing.T) {
	srv := e2etest.Start(t, serverBin, "-addr", "127.0.0.1:0")
	addr := srv.ListenAddr(t)

	client := listenUDP(t)
	msgs := [][]byte{
		[]byte("hello"),
		{}, // U3: an empty datagram is still a datagram
		{0x00, 0xff, '\n', 0xc3},
		bytes.Repeat([]byte("big"), 10000),
	}
	for _, msg := range msgs {
		got := exchange(t, client, addr, msg)
		assert.Equal(t, msg, got, "echo of a %d-byte datagram", len(msg))
	}
	// The server names the sender of every datagram in its log.
	from := client.LocalAddr().String()
	srv.WaitStderr(t, "msg=datagram from="+from+" len=5 data=hello")
	srv.WaitStderr(t, "msg=datagram from="+from+` len=0 data=""`)
	srv.WaitStderr(t, "msg=datagram from="+from+` len=4 data="\x00\xff\n\xc3"`)
	srv.WaitStderr(t, "msg=datagram from="+from+" len=30000 data=bigbigbig")

	require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, srv.ExitCode(t), "exit status after Ctrl-C")
	srv.WaitStderr(t, "msg=stopped")
}

func TestE2E_ServerCannotListen(t *testing.T) {
	res := e2etest.Run(t, "", serverBin, "-addr", "nonsense")
	assert.Equal(t, 1, res.ExitCode)
	assert.Equal(t, "server: cannot listen on nonsense: address nonsense: missing port in address\n", res.Stderr)
}

// With -interactive the operator types each reply, as in the notes.
func TestE2E_ServerInteractive(t *testing.T) {
	srv := e2etest.Start(t, serverBin, "-addr", "127.0.0.1:0", "-interactive")
	addr := srv.ListenAddr(t)
	client := listenUDP(t)
	to, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)

	_, err = client.WriteTo([]byte("hi server"), to)
	require.NoError(t, err)
	screen := srv.ReadStdoutUntil(t, ">> ")
	assert.Equal(t, "from "+client.LocalAddr().String()+": \"hi server\"\n>> ", screen, "what the operator sees")
	_, err = srv.Stdin.Write([]byte("hello from the operator\n"))
	require.NoError(t, err)
	require.NoError(t, client.SetReadDeadline(time.Now().Add(e2etest.Wait)))
	buf := make([]byte, 1024)
	n, _, err := client.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello from the operator", string(buf[:n]))

	// When the operator's input ends, the server stops cleanly at the next
	// datagram, which it cannot answer.
	require.NoError(t, srv.Stdin.Close())
	_, err = client.WriteTo([]byte("anyone?"), to)
	require.NoError(t, err)
	assert.Equal(t, 0, srv.ExitCode(t), "exit status at the end of operator input")
	srv.WaitStderr(t, "operator input ended")
}

// Interop: a Python client written the notes' way (sendto, recvfrom(1024))
// talks to our server.
func TestE2E_NotesPythonClient(t *testing.T) {
	python := e2etest.Python(t)
	script, err := filepath.Abs(filepath.Join("testdata", "notes_udp_client.py"))
	require.NoError(t, err)
	srv := e2etest.Start(t, serverBin, "-addr", "127.0.0.1:0")
	addr := srv.ListenAddr(t)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)

	long := strings.Repeat("abcdefghij", 200) // 2000 bytes
	res := e2etest.Run(t, "hello\n\n你好\n"+long+"\n", python, script, port)
	require.Equal(t, 0, res.ExitCode, "python client exit status; stderr:\n%s", res.Stderr)
	peer := "('127.0.0.1', " + port + ")"
	want := "hello " + peer + "\n" +
		" " + peer + "\n" + // the empty line went out as an empty datagram (U3)
		"你好 " + peer + "\n" +
		// Our server echoed all 2000 bytes; the notes' recvfrom(1024)
		// kept the first 1024 and Linux discarded the rest (U5).
		long[:1024] + " " + peer + "\n"
	assert.Equal(t, want, res.Stdout, "python client stdout")
	srv.WaitStderr(t, "len=2000")
}

func TestRunHelpShowsTheNotesAddress(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-h"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	require.NoError(t, err, "-h is not an error")
	assert.Contains(t, stderr.String(), `(default "127.0.0.1:8080")`, "usage")
}
