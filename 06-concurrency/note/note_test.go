// Package note_test runs the note's programs in Go against the note's
// Python programs (testdata/), in both directions, and watches each
// conversation while it is open: the Go ThreadingTCPServer and
// ThreadingUDPServer with the note's Python clients, and the note's Python
// servers with this chapter's Go clients.
package note_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/06-concurrency/internal/progtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	progtest.Cleanup()
	os.Exit(code)
}

// Both the Go programs and the Python ones print this on stderr.
var listeningRe = regexp.MustCompile(`listening on (\S+)`)

// startGo runs the Go note program in dir on a free loopback port.
func startGo(t *testing.T, dir string) (*progtest.Proc, string) {
	t.Helper()
	p := progtest.Start(t, progtest.Build(t, dir), "-addr", "127.0.0.1:0")
	m, _ := p.Stderr.WaitMatch(t, 0, listeningRe)
	return p, m[1]
}

// startPython runs a Python program of testdata/ with args, unbuffered, so
// what it prints shows at once.
func startPython(t *testing.T, script string, args ...string) *progtest.Proc {
	t.Helper()
	return progtest.Start(t, progtest.Python(t), append([]string{"-u", "testdata/" + script}, args...)...)
}

// The Go ThreadingTCPServer and the note's Python TCP clients: the operator
// answers A, B connects while A is still connected and is answered too, A
// is still served; then both wait at once and the operator's two lines go
// one to each. Every reply is the typed line without its newline, as
// input() returns it: the Python client prints b'hi A', not b'hi A\n'.
func TestGoTCPServerWithNoteClients(t *testing.T) {
	srv, addr := startGo(t, "./tcpserver")
	out := 0 // how far the server's stdout has been read

	a := startPython(t, "client.py", addr)
	a.Type(t, "hello from A\n")
	out = srv.Stdout.WaitFor(t, out, "hello from A\n>>") // printed, and the operator is asked
	srv.Type(t, "hi A\n")
	aOut := a.Stdout.WaitFor(t, 0, "has recv==========>\nb'hi A'\n")

	b := startPython(t, "client.py", addr) // A is still connected
	b.Type(t, "hello from B\n")
	out = srv.Stdout.WaitFor(t, out, "hello from B\n>>")
	srv.Type(t, "hi B\n")
	bOut := b.Stdout.WaitFor(t, 0, "b'hi B'\n")

	a.Type(t, "A again\n")
	out = srv.Stdout.WaitFor(t, out, "A again\n>>")
	srv.Type(t, "hi again A\n")
	aOut = a.Stdout.WaitFor(t, aOut, "b'hi again A'\n")

	// Both handlers wait for the one operator.
	a.Type(t, "A asks\n")
	b.Type(t, "B asks\n")
	srv.Stdout.WaitFor(t, out, "A asks\n")
	srv.Stdout.WaitFor(t, out, "B asks\n")
	oneLineEach(t, srv, []*progtest.Output{a.Stdout, b.Stdout}, []int{aOut, bOut}, "b'%s'\n")

	assert.True(t, a.Running() && b.Running() && srv.Running(), "every program is still running")
}

// oneLineEach has the operator of srv answer two clients that both wait:
// it types one line, sees which client's output (past its offset in from)
// shows it as format, then types a second line and sees it go to the
// other. It returns the index of the client that got the first line.
//
// One line at a time: the note's Python server loses a line when two are
// typed at once while two threads wait in input() (see the README).
func oneLineEach(t *testing.T, srv *progtest.Proc, outs []*progtest.Output, from []int, format string) int {
	t.Helper()
	srv.Type(t, "first line\n")
	first := progtest.WaitAny(t, fmt.Sprintf(format, "first line"), outs, from)
	srv.Type(t, "second line\n")
	outs[1-first].WaitFor(t, from[1-first], fmt.Sprintf(format, "second line"))
	return first
}

// The Go ThreadingUDPServer and the note's Python UDP clients: each client
// gets its own datagram back, from the server's address, while both are
// open; an empty line is an empty datagram, and it comes back too.
func TestGoUDPServerWithNoteClients(t *testing.T) {
	srv, addr := startGo(t, "./udpserver")
	// The server's address as the Python client prints it: ('127.0.0.1', PORT).
	from := regexp.MustCompile(`^(.*):(\d+)$`).ReplaceAllString(addr, `('$1', $2)`)

	a := startPython(t, "udp_client.py", addr)
	b := startPython(t, "udp_client.py", addr)
	a.Type(t, "hello from A\n")
	a.Stdout.WaitFor(t, 0, "hello from A "+from+"\n")
	b.Type(t, "hello from B\n")
	b.Stdout.WaitFor(t, 0, "hello from B "+from+"\n")
	a.Type(t, "\n") // an empty datagram
	a.Stdout.WaitFor(t, 0, ">>: "+from+"\n")

	out := srv.Stdout.WaitFor(t, 0, `("hello from A", `+addr+")\n")
	srv.Stdout.WaitFor(t, 0, `("hello from B", `+addr+")\n")
	srv.Stdout.WaitFor(t, out, `("", `+addr+")\n")
	assert.True(t, a.Running() && b.Running() && srv.Running(), "every program is still running")
}

const clientPkg = "github.com/gosockets/tutorial/06-concurrency/cmd/client"

// The note's Python ThreadingTCPServer and this chapter's Go client: the
// operator's replies, which have no newline, show at once while the
// connection is open; a second client is served while the first is
// connected; with both waiting, the operator's two lines go one to each.
func TestNoteTCPServerWithGoClients(t *testing.T) {
	srv := startPython(t, "threading_tcp_server.py", "127.0.0.1:0")
	m, _ := srv.Stderr.WaitMatch(t, 0, listeningRe)
	addr := m[1]
	client := progtest.Build(t, clientPkg)
	out := 0

	a := progtest.Start(t, client, "-addr", addr, "-timeout", "0")
	a.Type(t, "hello from A\n")
	out = srv.Stdout.WaitFor(t, out, "hello from A\n\n>>") // print(data.decode('utf8')), then input('>>')
	srv.Type(t, "hi A\n")
	aOut := a.Stdout.WaitFor(t, 0, "hi A")

	b := progtest.Start(t, client, "-addr", addr, "-timeout", "0") // A is still connected
	b.Type(t, "hello from B\n")
	out = srv.Stdout.WaitFor(t, out, "hello from B\n\n>>")
	srv.Type(t, "hi B\n")
	bOut := b.Stdout.WaitFor(t, 0, "hi B")

	a.Type(t, "A asks\n")
	b.Type(t, "B asks\n")
	srv.Stdout.WaitFor(t, out, "A asks\n")
	srv.Stdout.WaitFor(t, out, "B asks\n")
	first := oneLineEach(t, srv, []*progtest.Output{a.Stdout, b.Stdout}, []int{aOut, bOut}, "%s")

	want := map[int]string{0: "hi Afirst line", 1: "hi Asecond line"}[first]
	assert.Equal(t, want, a.Stdout.String(), "all client A printed: the replies as sent, no newline added")
	assert.True(t, a.Running() && b.Running() && srv.Running(), "every program is still running")
}

// The note's Python ThreadingUDPServer and Go UDP clients, the note's UDP
// client in a few lines of Go: each gets its own datagram back from the
// server's address, the empty one too, and the server shows each request as
// the pair (data, socket).
func TestNoteUDPServerWithGoClients(t *testing.T) {
	srv := startPython(t, "threading_udp_server.py", "127.0.0.1:0")
	m, _ := srv.Stderr.WaitMatch(t, 0, listeningRe)
	server, err := net.ResolveUDPAddr("udp", m[1])
	require.NoError(t, err)

	for _, msg := range []string{"hello from A", "hello from B", ""} {
		c, err := net.ListenPacket("udp", "127.0.0.1:0") // t = socket(AF_INET,SOCK_DGRAM)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(progtest.Timeout)))
		_, err = c.WriteTo([]byte(msg), server) // t.sendto(msg.encode('utf8'),ip_port)
		require.NoError(t, err)
		buf := make([]byte, 1024)
		n, from, err := c.ReadFrom(buf) // back_msg,addr = t.recvfrom(Bufsize)
		require.NoError(t, err, "the reply to %q", msg)
		assert.Equal(t, msg, string(buf[:n]), "the reply")
		assert.Equal(t, server.String(), from.String(), "the reply's source")
		srv.Stdout.WaitFor(t, 0, "(b'"+msg+"', <socket.socket") // print(self.request)
	}
	assert.True(t, srv.Running(), "the server is still running")
}

// When a client leaves, its handler in the Go program sees EOF and returns,
// so the operator's next line goes to a client that is still there.
func TestGoTCPServerLetsDepartedClientGo(t *testing.T) {
	srv, addr := startGo(t, "./tcpserver")
	a := startPython(t, "client.py", addr)
	a.Type(t, "hello from A\n")
	out := srv.Stdout.WaitFor(t, 0, "hello from A\n>>")
	srv.Type(t, "hi A\n")
	a.Stdout.WaitFor(t, 0, "b'hi A'\n")
	require.NoError(t, a.Cmd.Process.Kill()) // A leaves; its socket closes

	b := startPython(t, "client.py", addr)
	b.Type(t, "hello from B\n")
	srv.Stdout.WaitFor(t, out, "hello from B\n>>")
	srv.Type(t, "for B\n")
	b.Stdout.WaitFor(t, 0, "b'for B'\n")
}

// The note's handler has no "if not data: break". When its client leaves,
// recv returns an empty bytes object at once, and the handler prints an empty message and
// asks the operator for a reply to a client that is gone; the next line
// the operator types may go to it instead of to a client that is waiting.
func TestNoteTCPServerHandlerOutlivesItsClient(t *testing.T) {
	srv := startPython(t, "threading_tcp_server.py", "127.0.0.1:0")
	m, _ := srv.Stderr.WaitMatch(t, 0, listeningRe)
	a := progtest.Start(t, progtest.Build(t, clientPkg), "-addr", m[1], "-timeout", "0")
	a.Type(t, "hello from A\n")
	out := srv.Stdout.WaitFor(t, 0, "hello from A\n\n>>")
	srv.Type(t, "hi A\n")
	a.Stdout.WaitFor(t, 0, "hi A")
	require.NoError(t, a.Cmd.Process.Kill()) // A leaves; its socket closes

	srv.Stdout.WaitFor(t, out, "\n>>") // print(b''.decode()), then input('>>') again
	assert.True(t, srv.Running(), "the server is still running")
}
