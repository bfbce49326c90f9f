package note_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/03-sticky-packets/internal/testexec"
)

// runLimit bounds a whole conversation. The note's programs sleep 3 s (client)
// and 5 s (server), so one takes about 8 s.
const runLimit = 40 * time.Second

// python returns the path of python3, or skips the test (fails it under CI=true).
func python(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is missing; CI must install it:", err)
		}
		t.Skip("python3 not found; these tests run the note's Python programs:", err)
	}
	return py
}

// build compiles the note program in ./name into a temporary directory.
func build(t *testing.T, name string) string {
	t.Helper()
	exe, err := testexec.Build(t.TempDir(), name, "./"+name)
	require.NoError(t, err)
	return exe
}

// conversation runs a server program and then a client program against it, the
// way a reader does in two terminals, and returns the lines the server printed.
// The server prints "listening on ADDR" on stderr first; connect turns ADDR into
// the client's arguments. It checks that the server printed its first read while
// the client was still running (sleeping before its second send), so the first
// message went through while the conversation was open.
func conversation(t *testing.T, server []string, client func(addr string) []string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runLimit)
	defer cancel()

	srv := exec.CommandContext(ctx, server[0], server[1:]...)
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	stderr, err := srv.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	out, logs := testexec.Lines(stdout), testexec.Lines(stderr)
	first := testexec.Next(t, logs, "server's first line on stderr")
	m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(first)
	require.NotNil(t, m, "server's first line %q does not say where it listens", first)

	args := client(m[1])
	cli := exec.CommandContext(ctx, args[0], args[1:]...)
	cli.Stderr = os.Stderr
	require.NoError(t, cli.Start())
	clientDone := make(chan error, 1)
	go func() { clientDone <- cli.Wait() }()

	var got []string
	got = append(got, testexec.Next(t, out, "server's first read"))
	select {
	case <-clientDone:
		t.Errorf("the server printed its first read %q only after the client had ended", got[0])
	default: // the client is still sleeping between its two sends
	}
	for l := range out {
		got = append(got, l)
	}
	require.NoError(t, srv.Wait(), "server")
	select {
	case err := <-clientDone:
		require.NoError(t, err, "client")
	case <-ctx.Done():
		t.Fatal("client did not end")
	}
	return got
}

// The note's server reads twice with recv(1024) while its client sleeps 3 s
// between "helloworld" and "SB": the prompt reader gets the two messages apart.
// By its third read the client has closed the connection, so recv(1) and the
// last recv(1024) return nothing. The note's comments b'h' and b'elloworldSB'
// belong to a run of the second half alone (see the chapter README).
func TestGoServerWithNotePythonClient(t *testing.T) {
	t.Parallel()
	py := python(t)
	server := build(t, "server")
	got := conversation(t, []string{server, "-addr", "127.0.0.1:0"}, func(addr string) []string {
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		return []string{py, "testdata/client.py", port}
	})
	want := []string{`第一个包 "helloworld"`, `第二个包 "SB"`, `第一个包 ""`, `第二个包 ""`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Go note server, Python note client: server output (-want +got):\n%s", diff)
	}
}

func TestNotePythonServerWithGoClient(t *testing.T) {
	t.Parallel()
	py := python(t)
	client := build(t, "client")
	// -u: Python buffers print() on a pipe until it exits; unbuffered, each line
	// arrives when it is printed.
	got := conversation(t, []string{py, "-u", "testdata/server.py", "0"}, func(addr string) []string {
		return []string{client, "-addr", addr}
	})
	want := []string{`第一个包 b'helloworld'`, `第二个包 b'SB'`, `第一个包 b''`, `第二个包 b''`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Python note server, Go note client: server output (-want +got):\n%s", diff)
	}
}
