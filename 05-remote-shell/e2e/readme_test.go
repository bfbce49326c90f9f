package e2e_test

import (
	"path/filepath"
	"testing"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

// TestReadmeCommandsRunFromTheRoot checks that every path the README's
// commands name exists from the repository root. (The commands themselves
// are what the other tests of this package run.)
func TestReadmeCommandsRunFromTheRoot(t *testing.T) {
	progtest.CheckReadmeCommands(t, "../README.md", filepath.Join("..", ".."), "04-struct-framing/", "05-remote-shell/")
}
