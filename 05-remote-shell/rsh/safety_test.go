package rsh_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/04-struct-framing/progtest"
	"github.com/gosockets/tutorial/05-remote-shell/rsh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimeLimitKillsTheCommandAndSaysWhy(t *testing.T) {
	// The limit leaves the shell ample time to print "before", even on a
	// loaded machine.
	addr := startServer(t, &rsh.Server{TimeLimit: 2 * time.Second})
	c := rsh.NewClient(dial(t, addr))

	got := run(t, c, "echo before; sleep 60; echo after")
	assert.Equal(t, "time limit 2s exceeded", got.rep.Killed)
	assert.Equal(t, -1, got.rep.ExitCode)
	assert.Equal(t, "signal: killed", got.rep.Status)
	// What the command printed before the kill still arrives.
	assert.Equal(t, "before\n", got.stdout)
	// The connection is still good for the next command.
	assert.Equal(t, "next\n", run(t, c, "echo next").stdout, "reply after a kill")
}

func TestOutputCapKillsTheCommandAndSaysWhy(t *testing.T) {
	const limit = 64 << 10
	tests := []struct {
		name, command string
		// maxStdout is the most of the cap that stdout may take; the rest
		// goes to stderr.
		maxStdout int64
	}{
		{"stdout", "yes", limit},
		// Output that ends by itself but is over the cap is cut too.
		{"finite", "yes | head -c 100000", limit},
		{"stderr", "yes >&2", 0},
		// Both streams count against one cap. Which pipe the server drains
		// first is up to the scheduler, so stdout gets at most its 4 bytes.
		{"both", "printf abcd; yes >&2", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startServer(t, &rsh.Server{MaxOutput: limit})
			c := rsh.NewClient(dial(t, addr))
			got := run(t, c, tt.command)
			want := "output limit of 65536 bytes exceeded"
			assert.Equal(t, want, got.rep.Killed, "Killed for %q", tt.command)
			if got.rep.StdoutSize+got.rep.StderrSize != limit || got.rep.StdoutSize > tt.maxStdout ||
				(tt.maxStdout == limit && got.rep.StdoutSize != limit) {
				t.Errorf("%q: sizes = %d+%d, want %d in all, at most %d of it stdout", tt.command,
					got.rep.StdoutSize, got.rep.StderrSize, limit, tt.maxStdout)
			}
			if int64(len(got.stdout)) != got.rep.StdoutSize || int64(len(got.stderr)) != got.rep.StderrSize {
				t.Errorf("%q: received %d+%d bytes, header says %d+%d", tt.command,
					len(got.stdout), len(got.stderr), got.rep.StdoutSize, got.rep.StderrSize)
			}
			if strings.Trim(got.stdout, "y\nabcd") != "" || strings.Trim(got.stderr, "y\n") != "" {
				t.Errorf("%q: output holds bytes other than the command's", tt.command)
			}
		})
	}
}

func TestOutputExactlyAtTheCapIsNotKilled(t *testing.T) {
	addr := startServer(t, &rsh.Server{MaxOutput: 6})
	c := rsh.NewClient(dial(t, addr))
	got := run(t, c, "echo 12345")
	assert.Equal(t, "", got.rep.Killed, "6 bytes under a 6-byte cap")
	assert.Equal(t, "12345\n", got.stdout)
}

func TestCommandsGetNoStdin(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))
	tests := []struct{ command, want string }{
		{"cat", ""},
		{`read line; echo "read exit $?"`, "read exit 1\n"},
		{"wc -c", "0\n"},
	}
	for _, tt := range tests {
		got := run(t, c, tt.command)
		assert.Equal(t, tt.want, got.stdout, "stdout of %q", tt.command)
		assert.Equal(t, "", got.rep.Killed, "Killed for %q", tt.command)
	}
}

func TestPythonReadingStdinReturnsAtOnce(t *testing.T) {
	progtest.Python3(t)
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))
	got := run(t, c, `python3 -c 'import sys; print(len(sys.stdin.read()))'`)
	assert.Equal(t, "0\n", got.stdout, "python3 reading stdin")
	assert.Equal(t, "", got.rep.Killed)
}

// TestUnframedDuplicateStderrSendSendsNothing runs the notes' unframed server,
// whose third send repeats a read of the stderr pipe after it was drained.
func TestUnframedDuplicateStderrSendSendsNothing(t *testing.T) {
	var logs syncBuffer
	addr := startServer(t, &rsh.Server{Unframed: true, Logger: newLogger(&logs)})
	conn := dial(t, addr)

	_, err := conn.Write([]byte("echo out; echo err >&2"))
	require.NoError(t, err)
	if got := readN(t, conn, len("out\nerr\n")); got != "out\nerr\n" {
		t.Fatalf("reply = %q, want %q", got, "out\nerr\n")
	}
	// Had the third send repeated stderr, "err\n" would come next, before
	// anything the next command prints.
	_, err = conn.Write([]byte("echo next"))
	require.NoError(t, err)
	assert.Equal(t, "next\n", readN(t, conn, len("next\n")), "bytes after the first reply (the duplicate send must be empty)")
	// The server logged what the second reads of the pipes returned:
	// 0 bytes and io.EOF, from both.
	want := "stderr_bytes=0 stderr_err=EOF stdout_bytes=0 stdout_err=EOF"
	if !strings.Contains(logs.String(), want) {
		t.Errorf("server log lacks %q:\n%s", want, logs.String())
	}
}

func TestUnframedClientReportsNoReplyForEmptyOutput(t *testing.T) {
	addr := startServer(t, &rsh.Server{Unframed: true})
	c := rsh.NewClient(dial(t, addr))
	// true prints nothing, so the unframed server sends nothing and the
	// notes' client would wait in recv forever. Ours gives up after wait.
	if _, err := c.RunUnframed("true", 200*time.Millisecond); !errors.Is(err, rsh.ErrNoReply) {
		t.Errorf("RunUnframed(true) error = %v, want ErrNoReply", err)
	}
}

func TestUnframedKillIsReportedInTheText(t *testing.T) {
	addr := startServer(t, &rsh.Server{Unframed: true, TimeLimit: 200 * time.Millisecond})
	conn := dial(t, addr)
	_, err := conn.Write([]byte("sleep 60"))
	require.NoError(t, err)
	want := "\n[rsh: command killed: time limit 200ms exceeded]\n"
	assert.Equal(t, want, readN(t, conn, len(want)))
}

func TestRawAndFramedRequestsOnOneConnection(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	conn := dial(t, addr)
	c := rsh.NewClient(conn)

	// A raw command, the notes' way.
	_, err := conn.Write([]byte("echo raw"))
	require.NoError(t, err)
	_, body, err := frame.ReadBytes(conn, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, "raw\n", string(body), "reply to a raw request")
	// A framed command longer than one raw read.
	long := "echo " + strings.Repeat("x", 3000)
	assert.Equal(t, strings.Repeat("x", 3000)+"\n", run(t, c, long).stdout, "reply to a framed 3005-byte command")
}

func TestBadRequestsGetAClearError(t *testing.T) {
	addr := startServer(t, &rsh.Server{})

	t.Run("too long, then the connection goes on", func(t *testing.T) {
		conn := dial(t, addr)
		big := bytes.Repeat([]byte("x"), rsh.MaxCommandSize+1)
		require.NoError(t, frame.WriteBytes(conn, nil, big))
		var rep rsh.Reply
		h, _, err := frame.ReadBytes(conn, 1<<20)
		require.NoError(t, err)
		require.NoError(t, h.Decode(&rep))
		if !strings.Contains(rep.Error, "longer than 65536 bytes") {
			t.Errorf("reply error = %q, want it to name the 65536-byte limit", rep.Error)
		}
		c := rsh.NewClient(conn)
		assert.Equal(t, "still here\n", run(t, c, "echo still here").stdout, "after a refused command")
	})
	t.Run("header that is not JSON closes the connection", func(t *testing.T) {
		conn := dial(t, addr)
		_, err := conn.Write([]byte{5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'})
		require.NoError(t, err)
		var rep rsh.Reply
		h, _, err := frame.ReadBytes(conn, 1<<20)
		require.NoError(t, err)
		require.NoError(t, h.Decode(&rep))
		if !strings.Contains(rep.Error, "bad request") {
			t.Errorf("reply error = %q, want a bad request", rep.Error)
		}
		// The stream cannot be trusted any more: the server hangs up.
		if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("after a bad header: Read = %d, %v; want 0, EOF", n, err)
		}
	})
	t.Run("zero byte inside the command", func(t *testing.T) {
		conn := dial(t, addr)
		require.NoError(t, frame.WriteBytes(conn, nil, []byte("echo a\x00b")))
		var rep rsh.Reply
		h, _, err := frame.ReadBytes(conn, 1<<20)
		require.NoError(t, err)
		require.NoError(t, h.Decode(&rep))
		if !strings.Contains(rep.Error, "zero byte") {
			t.Errorf("reply error = %q, want it to name the zero byte", rep.Error)
		}
		c := rsh.NewClient(conn)
		assert.Equal(t, "still here\n", run(t, c, "echo still here").stdout, "after a refused command")
	})
	// The server survived all of it.
	c := rsh.NewClient(dial(t, addr))
	assert.Equal(t, "ok\n", run(t, c, "echo ok").stdout, "after bad requests")
}

func TestClientRefusesCommandsItCannotSend(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))
	for _, command := range []string{"", "a\x00b", strings.Repeat("x", rsh.MaxCommandSize+1)} {
		if _, err := c.Run(command, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, rsh.ErrBadCommand) {
			t.Errorf("Run(%.20q) error = %v, want ErrBadCommand", command, err)
		}
	}
	if _, err := c.RunUnframed(strings.Repeat("x", rsh.RawCommandSize+1), time.Second); !errors.Is(err, rsh.ErrBadCommand) {
		t.Errorf("RunUnframed(1025 bytes) error = %v, want ErrBadCommand", err)
	}
}

func TestClientReportsADroppedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	// A server that reads one request and hangs up without replying.
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		conn.SetDeadline(time.Now().Add(ioTimeout))
		conn.Read(make([]byte, 1024))
		conn.Close()
	}()
	c := rsh.NewClient(dial(t, ln.Addr().String()))
	if _, err := c.Run("echo hi", &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, rsh.ErrDropped) {
		t.Errorf("Run against a server that hangs up: error = %v, want ErrDropped", err)
	}
}

// TestLargeStderrDoesNotDeadlock runs a command that fills the stderr pipe
// before it writes stdout. The notes' server reads stdout to the end first,
// so such a command blocks on its full stderr pipe while the server waits
// for stdout: both wait forever. This server drains both pipes at once.
func TestLargeStderrDoesNotDeadlock(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	c := rsh.NewClient(dial(t, addr))
	got := run(t, c, "head -c 200000 /dev/zero >&2; echo done")
	assert.Equal(t, "done\n", got.stdout)
	assert.Len(t, got.stderr, 200000)
	assert.Equal(t, "", got.rep.Killed)
}
