package rsh_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

// requirePython skips a test that needs python3, unless this is CI, where
// python3 must be installed.
func requirePython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is required in CI but not installed")
		}
		t.Skip("python3 is not installed")
	}
}

// TestNotesPythonFramedClient drives the default server with a client
// written the notes' way: raw command bytes out, then struct-unpacked header
// length, JSON header, and recv(1024) until data_size bytes are in.
func TestNotesPythonFramedClient(t *testing.T) {
	requirePython(t)
	addr := startServer(t, &rsh.Server{})
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "../testdata/notes_framed_client.py", host, port)
	cmd.Stdin = strings.NewReader("echo hello\nseq 1 1000\necho second\necho err >&2; exit 2\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python client: %v\nstderr:\n%s", err, stderr.String())
	}
	// The script prints each reply's body followed by a line "=== end".
	replies := strings.Split(stdout.String(), "=== end\n")
	want := []string{"hello\n", seqOutput(1000), "second\n", "err\n", ""}
	if len(replies) != len(want) {
		t.Fatalf("python client printed %d replies, want %d:\n%s", len(replies)-1, len(want)-1, stdout.String())
	}
	for i := range want {
		if replies[i] != want[i] {
			t.Errorf("reply %d = %.60q, want %.60q", i, replies[i], want[i])
		}
	}
	// It printed each header dict, as the notes do, on stderr here; it
	// holds our extra fields, which the notes' client simply ignores.
	if !strings.Contains(stderr.String(), "'exit_code': 2") {
		t.Errorf("python client's headers lack exit_code 2:\n%s", stderr.String())
	}
}
