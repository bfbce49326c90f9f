// Package testexec helps the chapter's tests run real programs: it builds them,
// reads their output line by line with a time limit, and reads exit statuses.
package testexec

import (
	"bufio"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// LineLimit is how long Next waits for a line.
const LineLimit = 20 * time.Second

// Build compiles the package pkg (a path or import path) into dir as name and
// returns the program's path.
func Build(dir, name, pkg string) (string, error) {
	exe := filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", exe, pkg).CombinedOutput(); err != nil {
		return "", errors.New("go build " + pkg + ": " + err.Error() + ": " + string(out))
	}
	return exe, nil
}

// Lines hands the lines of r to a channel, which is closed at the end of r.
func Lines(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// Next returns the next line from ch, failing the test if the output ends or no
// line comes within LineLimit; what names the output in the failure.
func Next(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-ch:
		if !ok {
			t.Fatalf("%s: output ended early", what)
		}
		return l
	case <-time.After(LineLimit):
		t.Fatalf("%s: no line within %v", what, LineLimit)
	}
	return ""
}

// ExitCode returns the exit status of a program that ended with err: 0 for nil,
// -1 if it did not run or was killed by a signal.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
