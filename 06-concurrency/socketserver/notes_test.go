package socketserver

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// notesLoop is the notes' ThreadingTCPServer handler loop with the operator's
// input() replaced by the message itself, and without an "if not data: break",
// as in the notes. It stops after 1,000 recv calls (the notes' loop never
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

// The notes' handler has no check for an empty recv. Once the client has
// left, recv no longer blocks: every call returns empty bytes at once, so a loop
// written the notes' way spins instead of waiting. (Go's Read returns io.EOF,
// and Echo returns on it.)
func TestNotesHandlerWithoutEmptyCheckSpins(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is required in CI")
		}
		t.Skip("python3 not installed; this test runs the notes' Python handler")
	}
	script := filepath.Join(t.TempDir(), "notes_loop.py")
	if err := os.WriteFile(script, []byte(notesLoop), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()

	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("python server printed nothing: %v", lines.Err())
	}
	addr, ok := strings.CutPrefix(lines.Text(), "listening addr=")
	if !ok {
		t.Fatalf("python server printed %q, want its address", lines.Text())
	}
	c := dial(t, addr)
	mustEcho(t, c, "hello")
	c.Close() // the client leaves

	if !lines.Scan() {
		t.Fatalf("python handler never finished its 1,000 recv calls (recv blocked?): %v", lines.Err())
	}
	if got, want := lines.Text(), "empty recvs: 999"; got != want {
		t.Errorf("after the client left, the notes' loop reported %q, want %q (every later recv returns b'' without blocking)", got, want)
	}
}
