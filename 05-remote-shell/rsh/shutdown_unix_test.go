//go:build unix

package rsh_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

// TestShutdownLetsARunningCommandFinish shuts the server down while a
// command waits on a named pipe; the test lets it go only then, and the
// command finishes within the grace: its client gets the whole reply,
// nothing killed, and Shutdown returns nil.
func TestShutdownLetsARunningCommandFinish(t *testing.T) {
	fifo, f := progtest.NamedPipe(t)

	srv, logs, done := startRunning(t, "head -n 1 "+fifo+"; echo done")

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	logs.waitFor(t, `msg="shutting down" clients=1`)
	_, err := f.WriteString("let go\n")
	require.NoError(t, err)

	got := await(t, done)
	assert.Equal(t, "let go\ndone\n", got.stdout)
	assert.Equal(t, "", got.rep.Killed)
	assert.NoError(t, <-shut)
}
