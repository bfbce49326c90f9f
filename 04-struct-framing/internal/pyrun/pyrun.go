// Package pyrun finds python3 for the chapter's tests, which run small
// Python programs written the way the course notes write theirs.
package pyrun

import (
	"os"
	"os/exec"
	"testing"
)

// Python3 returns the path of python3. Where python3 is missing it fails
// the test when the environment variable CI is "true" (CI installs it) and
// skips it otherwise, saying why.
func Python3(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("python3")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("python3 is required in CI: %v", err)
	}
	tb.Skipf("python3 not found (%v); this test runs the notes' Python code against ours", err)
	return ""
}
