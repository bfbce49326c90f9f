// The note's simulated ssh programs, in Go, against the same programs in
// Python (testdata/server.py and testdata/client.py), in both directions.
// Each test holds a conversation: it types a command into the client, waits
// for what one recv(1024) brought to be printed and the next prompt to
// appear, and only then types the next command, so every reply is seen
// while the connection is open.
package note_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

func TestMain(m *testing.M) { os.Exit(progtest.Main(m)) }

const prompt = ">>> :"

// commands and stream: what the test types, and every byte the server
// sends in answer, back to back. Nothing on the wire marks where one
// reply ends, so the test checks what the client prints against this
// stream, not against each command.
//
// Each reply before seq's is one send of a few bytes, which loopback
// delivers to one recv whole, so the client types each command only after
// the server has answered the one before, and the server reads each
// command alone. (A reply cut in two would let the client type the next
// command early, and two commands could arrive in one recv(1024): the
// requests would stick too.)
var commands = []string{
	"echo hello",
	"echo err >&2", // stdout is empty; stderr is sent once: the note's third send is empty
	"echo next",
	"seq 1 1000", // 3893 bytes: more than one recv(1024)
	"echo second",
}

var stream = "hello\n" + "err\n" + "next\n" + seq(1000) + "second\n"

func seq(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintln(&b, i)
	}
	return b.String()
}

// converse types each command into client and returns what each of the
// client's reads brought, checking, before it types the next command, that
// everything read so far is the start of the server's stream: no byte
// lost, none sent twice (the note's server reads stderr a second time, but
// that read returns nothing, and sending nothing sends nothing).
func converse(t *testing.T, client *progtest.Proc) []string {
	t.Helper()
	client.Stdout.WaitFor(t, prompt)
	var reads []string
	for i, c := range commands {
		client.Write(t, c+"\n")
		text := client.Stdout.WaitUntil(t, fmt.Sprintf("prompt %d", i+2), func(text string) bool {
			return strings.Count(text, prompt) >= i+2
		})
		printed := strings.Split(text, prompt)[i+1] // what print(data.decode()) wrote
		require.True(t, strings.HasSuffix(printed, "\n"), "client printed %q for %q", printed, c)
		data := strings.TrimSuffix(printed, "\n")
		require.NotEmpty(t, data, "one recv for %q", c)
		require.LessOrEqual(t, len(data), 1024, "one recv(1024) for %q", c)
		reads = append(reads, data)
		got := strings.Join(reads, "")
		require.Equal(t, stream[:min(len(got), len(stream))], got, "the bytes read after %q", c)
	}
	return reads
}

// checkSpill checks claim R2 on the reads: the answer to "echo second" is
// more of seq's output. Before seq runs the server has sent only 15 bytes,
// and a read takes at most 1024, so 1039 bytes at most are read before
// that answer, and seq's 3893 bytes come first on the wire.
func checkSpill(t *testing.T, reads []string) {
	t.Helper()
	last := reads[len(reads)-1]
	assert.NotContains(t, last, "second", "the answer to %q", "echo second")
	assert.Contains(t, seq(1000), last, "the answer to %q", "echo second")
}

func requireShell(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the commands of these tests are for /bin/sh")
	}
}

func TestClaimR2_NoteServerWithPythonClient(t *testing.T) {
	requireShell(t)
	py := progtest.Python3(t)
	bins := progtest.Build(t, "./server")
	srv := progtest.Start(t, bins[0], "-addr", "127.0.0.1:0")
	host, port, err := net.SplitHostPort(srv.Stderr.WaitMatch(t, regexp.MustCompile(`listening on (\S+)\n`))[1])
	require.NoError(t, err)

	client := progtest.Start(t, py, "-u", "testdata/client.py", host, port)
	checkSpill(t, converse(t, client))
	client.CloseStdin()
	assert.Equal(t, 0, client.Wait(t), "client.py exit status\n%s", client.Output())

	// The connection loop: the server goes on with the next client.
	next := progtest.Start(t, py, "-u", "testdata/client.py", host, port)
	converse(t, next)
}

func TestClaimR2_NoteClientWithPythonServer(t *testing.T) {
	requireShell(t)
	py := progtest.Python3(t)
	bins := progtest.Build(t, "./client")
	srv := progtest.Start(t, py, "-u", "testdata/server.py", "127.0.0.1", "0")
	addr := net.JoinHostPort("127.0.0.1", srv.Stdout.WaitMatch(t, regexp.MustCompile(`listening on port (\d+)\n`))[1])

	client := progtest.Start(t, bins[0], "-addr", addr)
	checkSpill(t, converse(t, client))
	client.CloseStdin()
	assert.Equal(t, 0, client.Wait(t), "client exit status\n%s", client.Output())

	next := progtest.Start(t, bins[0], "-addr", addr)
	converse(t, next)
}
