package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

// root is the repository's root, where the README's commands run.
var root = filepath.Join("..", "..")

// TestReadmeCommandsRunFromTheRoot checks the commands the README shows:
// every path they name exists from the repository root, and the quick
// test commands (go test -run, without -bench or -fuzz) pass there and
// print what the README says they print.
func TestReadmeCommandsRunFromTheRoot(t *testing.T) {
	cmds := progtest.CheckReadmeCommands(t, "../README.md", root, "04-struct-framing/")

	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Skip("not in the repository's workspace")
	}
	ran := 0
	for _, c := range cmds {
		if !strings.HasPrefix(c, "go test ") || !strings.Contains(c, "-run") ||
			strings.Contains(c, "-bench") || strings.Contains(c, "-fuzz") {
			continue
		}
		ran++
		ctx, cancel := context.WithTimeout(context.Background(), 3*progtest.Timeout)
		cmd := exec.CommandContext(ctx, "sh", "-c", c)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOWORK=") // the root's go.work, whatever the outer test used
		out, err := cmd.CombinedOutput()
		cancel()
		require.NoError(t, err, "%s\n%s", c, out)
		if strings.Contains(c, "TestFrameOfHelloworld") {
			assert.Contains(t, string(out), "10 00 00 00 7b 22 64 61  74 61 5f 73 69 7a 65 22", c)
		}
	}
	assert.NotZero(t, ran, "the README shows no quick test command")
}
