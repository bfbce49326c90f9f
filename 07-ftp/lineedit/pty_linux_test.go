package lineedit

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair with the standard library and
// x/sys/unix only: /dev/ptmx, unlock, then the slave /dev/pts/N.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here (%v); the terminal path is untested", err)
	}
	var n int
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		if ierr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ierr != nil {
			return
		}
		n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
	})
	if err == nil {
		err = ierr
	}
	if err != nil {
		m.Close()
		t.Fatalf("unlock pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m, s
}

// screen collects what the terminal shows.
type screen struct {
	mu      sync.Mutex
	out     strings.Builder
	changed chan struct{}
}

func (s *screen) read(m *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := m.Read(buf)
		s.mu.Lock()
		s.out.Write(buf[:n])
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitPrompt waits until the screen shows a fresh prompt after the n-th
// line ending, that is, until ReadLine is waiting for line n+1 in raw mode
// (readline switches to raw mode before it prints the prompt).
func (s *screen) waitPrompt(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		text := s.out.String()
		ch := s.changed
		s.mu.Unlock()
		if parts := strings.SplitAfterN(text, "\n", n+1); len(parts) == n+1 && strings.Contains(parts[n], "ftp> ") {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no prompt after %d lines within 5s; screen:\n%q", n, text)
		}
	}
}

type result struct {
	line string
	err  error
}

func TestTerminalPromptEditingHistoryAndCompletion(t *testing.T) {
	master, slave := openPTY(t)
	defer slave.Close()
	r, err := New(slave, slave, Config{Prompt: "ftp> ", Complete: ftpCompleter()})
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	if _, ok := r.(*terminal); !ok {
		master.Close()
		t.Fatalf("New on a pseudo-terminal returned %T, want the terminal reader", r)
	}
	scr := &screen{changed: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() { scr.read(master) })
	results := make(chan result)
	wg.Go(func() {
		defer close(results)
		for {
			line, err := r.ReadLine()
			results <- result{line, err}
			if err == io.EOF {
				return
			}
		}
	})
	defer func() {
		r.Close()
		master.Close() // ends the reads on both ends
		wg.Wait()
	}()

	steps := []struct {
		name  string
		input string
		want  string
		err   error
	}{
		{"complete a command", "he\t\r", "help ", nil},
		{"complete a remote path in two steps", "get d\tn\t\r", "get docs/notes.md ", nil},
		{"backspace", "abc\x7f\x7fz\r", "az", nil},
		{"history: up twice", "\x1b[A\x1b[A\r", "get docs/notes.md ", nil},
		{"cursor left and insert", "ls\x1b[D\x1b[Dx\r", "xls", nil},
		{"Ctrl-C drops the line", "abc\x03", "", ErrInterrupt},
	}
	for i, st := range steps {
		scr.waitPrompt(t, i)
		if _, err := master.Write([]byte(st.input)); err != nil {
			t.Fatal(err)
		}
		select {
		case res := <-results:
			if res.line != st.want || !errors.Is(res.err, st.err) && res.err != st.err {
				t.Fatalf("%s: ReadLine = %q, %v; want %q, %v", st.name, res.line, res.err, st.want, st.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no line within 5s", st.name)
		}
	}
	scr.waitPrompt(t, len(steps))
	master.Write([]byte{4}) // Ctrl-D on an empty line
	select {
	case res := <-results:
		if res.err != io.EOF {
			t.Fatalf("Ctrl-D: ReadLine = %q, %v; want io.EOF", res.line, res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-D: no end of input within 5s")
	}
	scr.mu.Lock()
	shown := scr.out.String()
	scr.mu.Unlock()
	if !strings.Contains(shown, "ftp> ") {
		t.Fatalf("no prompt shown: %q", shown)
	}
}
