package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

var demoExe = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "sticky-demo-")
	if err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "demo")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return exe, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if exe, err := demoExe(); err == nil {
		os.RemoveAll(filepath.Dir(exe))
	}
	os.Exit(code)
}

// buildDemo builds the demo command once per test binary.
func buildDemo(t *testing.T) string {
	t.Helper()
	exe, err := demoExe()
	require.NoError(t, err)
	return exe
}

func runDemo(t *testing.T, exe string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestDemoBinary(t *testing.T) {
	exe := buildDemo(t)

	t.Run("receiver", func(t *testing.T) {
		stdout, stderr, err := runDemo(t, exe, "receiver")
		require.NoError(t, err, "stderr: %s", stderr)
		want := `=== receiver (S2 S4): a reader that reads late gets both writes in one read
-- receiver (S4): the reader reads late, 1024 bytes at a time
  writer                          | reader
  --------------------------------+-------------------------
  write #1: 10 bytes "helloworld" |
  write #2: 2 bytes "SB"          |
                                  | (starts reading only now)
                                  | read #1: 12 bytes "helloworldSB"
                                  | EOF (the writer closed)
  => 2 writes became 1 read: the boundaries between the writes are gone
`
		if diff := cmp.Diff(want, stdout); diff != "" {
			t.Errorf("demo receiver (-want +got):\n%s", diff)
		}
	})

	t.Run("all", func(t *testing.T) {
		stdout, stderr, err := runDemo(t, exe, "-gap", "20ms", "all")
		require.NoError(t, err, "stderr: %s", stderr)
		for _, c := range sticky.Cases {
			if !strings.Contains(stdout, "=== "+c.Name+" ("+c.Claim+")") {
				t.Errorf("demo all: no header for %s in:\n%s", c.Name, stdout)
			}
		}
		for _, want := range []string{
			`read #1: 12 bytes "helloworldSB"`,                  // receiver, slow sleep
			`read #2: 11 bytes "elloworldSB"`,                   // partial
			"sleep (S6), prompt reader: the writer sleeps 20ms", // -gap reached the case
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("demo all: output lacks %q", want)
			}
		}
		if runtime.GOOS == "linux" && !strings.Contains(stdout, "3 writes left as 1 data segment (TCP_INFO)") {
			t.Errorf("demo all on Linux: the cork run did not report 1 segment:\n%s", stdout)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, args := range [][]string{{}, {"nope"}, {"receiver", "udp"}, {"-gap", "0s", "sleep"}} {
			_, stderr, err := runDemo(t, exe, args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Errorf("demo %q: err = %v, want a non-zero exit", args, err)
			}
			if !strings.Contains(stderr, "demo:") {
				t.Errorf("demo %q: stderr = %q, want an error line", args, stderr)
			}
		}
	})
}

func TestRunUnknownCaseListsTheCases(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"bogus"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "receiver, partial, sender, sleep, udp, lengths") {
		t.Errorf("run(bogus) = %v, want an error listing the cases", err)
	}
}
