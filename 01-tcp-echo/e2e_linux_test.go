package tcpecho_test

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its controlling (master) side
// and its terminal (slave) side.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0), "unlockpt")
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	require.NoError(t, err, "ptsname")
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// testPromptOnTerminal runs the client with a terminal as standard input: it
// shows the ">> " prompt before each line, and Ctrl-D ends it.
func testPromptOnTerminal(t *testing.T, b binaries) {
	_, addr := startServer(t, b)
	master, tty := openPTY(t)
	p := startWithStdin(t, tty, b.client, "-addr", addr)
	_, err := io.WriteString(master, "hello\n")
	require.NoError(t, err)
	assert.Equal(t, ">> hello\n", p.readLine(t))
	_, err = master.Write([]byte{4}) // Ctrl-D at the start of a line: end of input
	require.NoError(t, err)
	assert.Equal(t, ">> \n", p.readLine(t), "prompt, then the newline after Ctrl-D")
	assert.Equal(t, 0, p.wait(t), "client exit code after Ctrl-D")
}
