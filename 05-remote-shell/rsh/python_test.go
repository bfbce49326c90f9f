package rsh_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

func TestMain(m *testing.M) { os.Exit(progtest.Main(m)) }

// theNotesStructClient is the note's client for its struct-framed server,
// kept with chapter 04's note programs.
var theNotesStructClient = filepath.Join("..", "..", "04-struct-framing", "note", "testdata", "client.py")

// TestTheNotesStructClient drives the default server with the note's own
// struct client: a plain command out, then recv(4), struct.unpack, the
// JSON header, and recv(1024) until data_size bytes are in. It prints each
// header, which holds our extra fields too, and each body.
func TestTheNotesStructClient(t *testing.T) {
	py := progtest.Python3(t)
	host, port, err := net.SplitHostPort(startServer(t, &rsh.Server{}))
	require.NoError(t, err)
	client := progtest.Start(t, py, "-u", theNotesStructClient, host, port)
	client.Write(t, "echo hello\nseq 1 1000\necho second\necho err >&2; exit 2\n")
	client.CloseStdin()
	require.Equal(t, 0, client.Wait(t), "client.py exit status\n%s", client.Output())

	want := []struct{ header, body string }{
		{"{'data_size': 6, 'exit_code': 0, 'status': 'exit status 0', 'stderr_size': 0, 'stdout_size': 6}", "hello\n"},
		{"{'data_size': 3893, 'exit_code': 0, 'status': 'exit status 0', 'stderr_size': 0, 'stdout_size': 3893}", seqOutput(1000)},
		{"{'data_size': 7, 'exit_code': 0, 'status': 'exit status 0', 'stderr_size': 0, 'stdout_size': 7}", "second\n"},
		{"{'data_size': 4, 'exit_code': 2, 'status': 'exit status 2', 'stderr_size': 4, 'stdout_size': 0}", "err\n"},
	}
	var b strings.Builder
	for _, w := range want {
		fmt.Fprintf(&b, ">>> :%s\n%s\n", w.header, w.body)
	}
	b.WriteString(">>> :")
	assert.Equal(t, b.String(), client.Stdout.String())
}
