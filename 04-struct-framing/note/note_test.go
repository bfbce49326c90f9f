// The note's programs, in Go, against the note's programs, in Python
// (testdata/server.py and testdata/client.py), in both directions. Each
// test holds a conversation: it types a command into the client, waits for
// the reply to be printed and the next prompt to appear, and only then
// types the next one, so every reply is seen while the connection is open.
package note_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

func TestMain(m *testing.M) { os.Exit(progtest.Main(m)) }

const prompt = ">>> :"

// exchange is one command and the output it prints.
type exchange struct {
	command string
	output  string
}

// exchanges run through the shell: both streams in one reply (R1, R3),
// UTF-8 text (R4), and an output longer than one recv(1024), which the
// client's loop collects until it has data_size bytes (F3).
var exchanges = []exchange{
	{"echo hello", "hello\n"},
	{"echo 中文", "中文\n"},
	{"echo out; echo err >&2", "out\nerr\n"},
	{"seq 1 1000", seq(1000)},
}

func seq(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintln(&b, i)
	}
	return b.String()
}

// printed is what a client prints for one reply: the header it decoded,
// then the body and the newline that print adds.
type printed func(dataSize int, body string) string

func pythonPrints(n int, body string) string { return fmt.Sprintf("{'data_size': %d}\n%s\n", n, body) }
func goPrints(n int, body string) string     { return fmt.Sprintf("map[data_size:%d]\n%s\n", n, body) }

// converse types each exchange's command into client and checks, before
// typing the next, everything the client has printed so far.
func converse(t *testing.T, client *progtest.Proc, exchanges []exchange, prints printed) {
	t.Helper()
	want := prompt
	client.Stdout.WaitFor(t, prompt)
	for i, ex := range exchanges {
		client.Write(t, ex.command+"\n")
		got := client.Stdout.WaitUntil(t, fmt.Sprintf("prompt %d", i+2), func(text string) bool {
			return strings.Count(text, prompt) >= i+2
		})
		want += prints(len(ex.output), ex.output) + prompt
		require.Equal(t, want, got, "client output after %q", ex.command)
	}
}

func requireShell(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the commands of these tests are for /bin/sh")
	}
}

// startGoServer runs the note's server in Go on a free port and returns
// its address.
func startGoServer(t *testing.T, bin string) string {
	t.Helper()
	srv := progtest.Start(t, bin, "-addr", "127.0.0.1:0")
	return srv.Stderr.WaitMatch(t, regexp.MustCompile(`listening on (\S+)\n`))[1]
}

func TestClaimF2_NoteServerWithPythonClient(t *testing.T) {
	requireShell(t)
	py := progtest.Python3(t)
	bins := progtest.Build(t, "./server")
	host, port, err := net.SplitHostPort(startGoServer(t, bins[0]))
	require.NoError(t, err)

	client := progtest.Start(t, py, "-u", "testdata/client.py", host, port)
	converse(t, client, exchanges, pythonPrints)
	client.CloseStdin()
	assert.Equal(t, 0, client.Wait(t), "client.py exit status\n%s", client.Output())

	// The connection loop: the server goes on with the next client.
	next := progtest.Start(t, py, "-u", "testdata/client.py", host, port)
	converse(t, next, exchanges[:1], pythonPrints)
}

func TestClaimF2_NoteClientWithPythonServer(t *testing.T) {
	requireShell(t)
	py := progtest.Python3(t)
	bins := progtest.Build(t, "./client")
	srv := progtest.Start(t, py, "-u", "testdata/server.py", "127.0.0.1", "0")
	port := srv.Stdout.WaitMatch(t, regexp.MustCompile(`listening on port (\d+)\n`))

	client := progtest.Start(t, bins[0], "-addr", net.JoinHostPort("127.0.0.1", port[1]))
	converse(t, client, exchanges, goPrints)
	client.CloseStdin()
	assert.Equal(t, 0, client.Wait(t), "client exit status\n%s", client.Output())

	next := progtest.Start(t, bins[0], "-addr", net.JoinHostPort("127.0.0.1", port[1]))
	converse(t, next, exchanges[:1], goPrints)
}

// fakeServer accepts one client, reads its command and answers with reply,
// written in one Write, then keeps the connection open until the test ends.
func fakeServer(t *testing.T, reply []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		close(done)
	})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(progtest.Timeout))
		if _, err := conn.Read(make([]byte, 1024)); err != nil {
			return
		}
		conn.Write(reply)
		<-done
	}()
	return ln.Addr().String()
}

// TestNoteClientBugRecv4ShortRead shows the bug the note's client keeps:
// head_struct = t.recv(4) is one read, and one read returns what has
// arrived. Here 2 of the 4 bytes have, so the unpack fails, as
// struct.unpack fails in Python with "unpack requires a buffer of 4 bytes".
func TestNoteClientBugRecv4ShortRead(t *testing.T) {
	bins := progtest.Build(t, "./client")
	addr := fakeServer(t, []byte{16, 0}) // the first half of a length prefix
	client := progtest.Start(t, bins[0], "-addr", addr)
	client.Write(t, "echo hello\n")
	assert.Equal(t, 1, client.Wait(t), "client exit status\n%s", client.Output())
	assert.Contains(t, client.Stderr.String(), "unpack: unexpected EOF")
}

// TestNoteClientBugRecv1024TakesTheNextReply shows the other bug it keeps: the
// body loop asks for 1024 bytes whatever is left of the body, so when a
// second reply is already waiting, the first reply's body takes it too.
func TestNoteClientBugRecv1024TakesTheNextReply(t *testing.T) {
	frame := func(body string) []byte {
		head := fmt.Sprintf(`{"data_size": %d}`, len(body))
		b := binary.NativeEndian.AppendUint32(nil, uint32(len(head)))
		return append(append(b, head...), body...)
	}
	two := append(frame("helloworld"), frame("SB")...)
	bins := progtest.Build(t, "./client")
	client := progtest.Start(t, bins[0], "-addr", fakeServer(t, two))
	client.Write(t, "echo hello\n")
	got := client.Stdout.WaitUntil(t, "the second prompt", func(text string) bool {
		return strings.Count(text, prompt) == 2
	})
	want := prompt + "map[data_size:10]\n" + "helloworld" + string(frame("SB")) + "\n" + prompt
	assert.Equal(t, want, got)
}
