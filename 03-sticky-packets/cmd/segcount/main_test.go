package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRunPrintsOneRowPerBurst(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"-runs", "1", "-writes", "2", "-acks", "prompt"}, &out, &errb)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("run: %v (stderr %q)", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want a header and 2 rows (Nagle off, on):\n%s", len(lines), out.String())
	}
	// Two writes never merge: Nagle always sends the first small write at once.
	for _, l := range lines[1:] {
		if !strings.Contains(l, "median 2 (min 2, max 2, 1 runs)") {
			t.Errorf("row %q: want 2 segments for 2 writes", l)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-writes", "0"}, {"-writes", "x"}, {"-acks", "sometimes"}, {"-runs", "0"}, {"extra"}} {
		var out, errb bytes.Buffer
		if err := run(t.Context(), args, &out, &errb); err == nil {
			t.Errorf("run(%q) = nil error, want one", args)
		}
	}
}
