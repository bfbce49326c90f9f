//go:build unix

package e2e_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

// TestCtrlCOnTheServerLetsACommandFinish stops the server while a command
// runs, with a long grace: the command finishes, its client gets the
// reply, and the server exits once it has gone out. The command waits on
// a named pipe until the test lets it go, after Ctrl-C.
func TestCtrlCOnTheServerLetsACommandFinish(t *testing.T) {
	server, client := build(t)
	fifo, f := progtest.NamedPipe(t)

	srv, addr := startServer(t, server, "-grace", "1m")
	cl := progtest.Start(t, client, "-addr", addr)
	cl.Write(t, "head -n 1 "+fifo+"; echo done\n")
	srv.Stderr.WaitFor(t, "msg=running")
	require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
	srv.Stderr.WaitFor(t, `msg="shutting down"`)
	_, err := f.WriteString("let go\n")
	require.NoError(t, err)

	cl.Stdout.WaitFor(t, "let go\ndone\n")
	assert.Equal(t, 0, srv.Wait(t), "server exit status\n%s", srv.Output())
	cl.CloseStdin()
	assert.Equal(t, 0, cl.Wait(t), "client exit status\n%s", cl.Output())
}
