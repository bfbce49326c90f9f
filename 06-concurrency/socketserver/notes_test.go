package socketserver

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/06-concurrency/internal/progtest"
)

// notesLoop is the note's ThreadingTCPServer handler loop with the operator's
// input() replaced by the message itself, and without an "if not data: break",
// as in the notes. It stops after 1,000 recv calls (the note's loop never
// stops) and reports how many returned an empty bytes object.
const notesLoop = `import socketserver, sys, os

class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        empty = 0
        for _ in range(1000):
            data = self.request.recv(1024)
            if not data:
                empty += 1
            self.request.send(data)
        print("empty recvs: %d" % empty, flush=True)
        os._exit(0)

server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
print("listening addr=%s:%d" % server.server_address, flush=True)
server.serve_forever()
`

// The note's handler has no check for an empty recv. Once the client has
// left, recv no longer blocks: every call returns empty bytes at once, so a loop
// written the note's way spins instead of waiting. (Go's Read returns io.EOF,
// and Echo returns on it.)
func TestNotesHandlerWithoutEmptyCheckSpins(t *testing.T) {
	python := progtest.Python(t)
	script := filepath.Join(t.TempDir(), "notes_loop.py")
	require.NoError(t, os.WriteFile(script, []byte(notesLoop), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Wait()
	defer cmd.Process.Kill()

	lines := bufio.NewScanner(out)
	require.True(t, lines.Scan(), "the python server prints its address: %v", lines.Err())
	addr, ok := strings.CutPrefix(lines.Text(), "listening addr=")
	require.True(t, ok, "the python server printed %q, want its address", lines.Text())
	c := dial(t, addr)
	mustEcho(t, c, "hello")
	c.Close() // the client leaves

	require.True(t, lines.Scan(), "the python handler finishes its 1,000 recv calls (did recv block?): %v", lines.Err())
	// Every recv after the client left returned b'' without blocking.
	assert.Equal(t, "empty recvs: 999", lines.Text(), "what the note's loop reported after the client left")
}
