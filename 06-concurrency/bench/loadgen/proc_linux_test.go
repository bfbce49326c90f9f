package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A real line from this machine, with a command name holding a space
	// and a parenthesis, as a thread may rename itself.
	line := "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 585 0 0 0 123 45 0 0 20 0 7 0 2187 123456 789 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, err := parseStat([]byte(line))
	if want := (123 + 45) * clockTick; err != nil || got != want {
		t.Errorf("parseStat(%q) = %v, %v; want %v, nil", line, got, err, want)
	}
	for _, bad := range []string{"", "4242 no-paren S 1", "1 (x) S 1 2"} {
		if got, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) = %v, nil; want an error", bad, got)
		}
	}
}

func TestReadOwnProc(t *testing.T) {
	cpu, err := cpuTime(os.Getpid())
	if err != nil || cpu < 0 || cpu > time.Hour {
		t.Errorf("cpuTime(self) = %v, %v; want a small non-negative duration", cpu, err)
	}
	m, err := readMem(os.Getpid())
	if err != nil || m.pssKiB <= 0 || m.rssKiB <= 0 || m.threads < 1 {
		t.Errorf("readMem(self) = %+v, %v; want positive Pss, VmRSS and threads", m, err)
	}
}
