//go:build linux

package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gosockets/tutorial/02-udp-echo/internal/e2etest"
)

// openPTY opens a pseudo-terminal pair: what is written to the master
// arrives as typed input on the terminal.
func openPTY(t *testing.T) (master, terminal *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0), "unlockpt")
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	require.NoError(t, err, "ptsname")
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return m, s
}

// With a terminal on stdin the client prompts with ">> " before each line;
// TestE2E_ClientTalksToServer shows that it does not when stdin is a pipe.
func TestE2E_PromptOnlyOnTerminal(t *testing.T) {
	addr := startEchoServer(t)
	master, terminal := openPTY(t)

	cmd := exec.Command(clientBin, "-addr", addr)
	cmd.Stdin = terminal
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	terminal.Close() // the child holds its own copy

	// Type a line, then Ctrl-D at the start of the next line: end of input.
	_, err := master.WriteString("hello\n\x04")
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "client exit; stderr %q", stderr.String())
	case <-time.After(e2etest.Wait):
		cmd.Process.Kill()
		<-done
		t.Fatalf("client did not exit at end of terminal input; stdout %q", stdout.String())
	}
	assert.Equal(t, ">> hello\n>> \n", stdout.String(), "stdout: prompt, reply, prompt, newline at end of input")
}
