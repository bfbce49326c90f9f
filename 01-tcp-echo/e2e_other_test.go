//go:build !linux

package tcpecho_test

import "testing"

// testPromptOnTerminal needs a pseudo-terminal; the test opens one the Linux
// way only.
func testPromptOnTerminal(t *testing.T, _ binaries) {
	t.Skip("opening a pseudo-terminal is implemented for Linux only")
}
