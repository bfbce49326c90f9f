// Package note_test runs the note's programs in Go against the note's
// programs in Python (testdata/*.py), both ways round, and checks each turn
// of the conversation while both programs are still running.
package note_test

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/01-tcp-echo/proctest"
)

const pkg = "github.com/gosockets/tutorial/02-udp-echo/note/"

// turn plays one turn: the client sends msg, the server prints it with the
// client's address (printed must match that line), the operator types
// reply, and the client prints it, in the line want; both programs are
// still running afterwards.
func turn(t *testing.T, cli, srv *proctest.Proc, msg, printed, reply, want string) {
	t.Helper()
	cli.Type(t, msg+"\n")
	assert.Regexp(t, printed, srv.Stdout.Next(t, "\n"), "the server's line for %q", msg)
	srv.Stdout.Next(t, ">> :") // the operator is asked for a reply
	srv.Type(t, reply+"\n")
	assert.Equal(t, want, cli.Stdout.Next(t, "\n"), "the client's line")
	assert.False(t, cli.Exited() || srv.Exited(), "both still running")
}

func TestNoteProgramsTalkToPython(t *testing.T) {
	py := proctest.Python(t)
	bins := proctest.Build(t, pkg+"server", pkg+"client")
	server, client := bins[0], bins[1]
	long := strings.Repeat("x", 2000)

	t.Run("Go server, Python client", func(t *testing.T) {
		srv := proctest.Start(t, server, "-addr", "127.0.0.1:0")
		_, port, err := net.SplitHostPort(srv.Stdout.After(t, "start..... "))
		require.NoError(t, err)
		cli := proctest.Start(t, py, "-u", filepath.Join("testdata", "client.py"), port)
		from := `127\.0\.0\.1:\d+\n$` // the Python client's address
		peer := "('127.0.0.1', " + port + ")"

		turn(t, cli, srv, "hello", `^hello `+from, "  hi from Go  ", ">>:hi from Go "+peer+"\n")
		// An empty line is still a datagram (U3), with its sender's address.
		turn(t, cli, srv, "", `^ `+from, "got an empty one", ">>:got an empty one "+peer+"\n")
		// recvfrom(1024) keeps the first 1024 bytes of 2000 (U5).
		turn(t, cli, srv, long, `^`+long[:1024]+` `+from, "cut", ">>:cut "+peer+"\n")

		cli.CloseStdin(t)
		assert.Equal(t, 0, cli.Exit(t), "Python client's exit status")
		assert.Equal(t, ">>:", cli.Stdout.Next(t, ">>:"), "Python client's last prompt")
	})

	t.Run("Python server, Go client", func(t *testing.T) {
		srv := proctest.Start(t, py, "-u", filepath.Join("testdata", "server.py"), "0")
		addr := srv.Stdout.After(t, "start..... ")
		cli := proctest.Start(t, client, "-addr", addr)
		from := `\('127\.0\.0\.1', \d+\)\n$` // the Go client's address, as Python prints it

		turn(t, cli, srv, "hello", `^hello `+from, "hi from Python", ">>:hi from Python "+addr+"\n")
		turn(t, cli, srv, "", `^ `+from, "got an empty one", ">>:got an empty one "+addr+"\n")
		turn(t, cli, srv, long, `^`+long[:1024]+` `+from, "cut", ">>:cut "+addr+"\n")

		cli.CloseStdin(t)
		assert.Equal(t, 0, cli.Exit(t), "Go client's exit status")
		assert.Empty(t, cli.Stderr.String(), "Go client's errors")
		assert.Equal(t, ">>:\n", cli.Stdout.Next(t, "\n"), "Go client's last prompt, ended at the end of input")
	})
}
