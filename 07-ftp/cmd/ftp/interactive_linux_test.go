package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pty opens a pseudo-terminal pair with x/sys/unix: the master side for
// the test, the slave side for the program.
func pty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal (%v): the interactive prompt is not tested here", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	// A real terminal has a size; readline completes nothing on a
	// terminal 0 columns wide.
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 100}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// terminalScreen is everything the program wrote to the terminal.
type terminalScreen struct {
	mu      sync.Mutex
	text    strings.Builder
	changed chan struct{}
}

func (s *terminalScreen) copyFrom(m *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := m.Read(buf)
		s.mu.Lock()
		s.text.Write(buf[:n])
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitCount waits until sub appears at least n times on the screen.
func (s *terminalScreen) waitCount(t *testing.T, sub string, n int) {
	t.Helper()
	deadline := time.After(e2eTimeout)
	for {
		s.mu.Lock()
		text, ch := s.text.String(), s.changed
		s.mu.Unlock()
		if strings.Count(text, sub) >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%q not shown %d times; screen:\n%q", sub, n, text)
		}
	}
}

// startOnTerminal runs the real ftp binary on a pseudo-terminal, as a
// student at a terminal does, and returns the master side, what the
// program shows, and a channel for its exit.
func startOnTerminal(t *testing.T, dir, addr, password string) (*os.File, *terminalScreen, <-chan error) {
	t.Helper()
	m, s := pty(t)
	t.Cleanup(func() { m.Close() })
	bin, _ := build(t)
	cmd := exec.Command(bin, "-addr", addr, "-user", "demo")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FTP_PASSWORD="+password, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	scr := &terminalScreen{changed: make(chan struct{})}
	go scr.copyFrom(m)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return m, scr, done
}

// TestCtrlCDuringATransferKeepsTheSession is a student at a terminal who
// presses Ctrl-C in the middle of a big put: the put stops, the prompt
// comes back in the same session (the client logs in again by itself,
// without asking), and the same command run again resumes.
func TestCtrlCDuringATransferKeepsTheSession(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	randomFile(t, dir, "big.bin", bigSize)
	rl := startRelay(t, d.addr, 3<<20)
	m, scr, done := startOnTerminal(t, dir, rl.addr, d.demoPW)
	scr.waitCount(t, "ftp> ", 1)
	m.WriteString("put big.bin\r")
	rl.wait(t)
	m.WriteString("\x03") // Ctrl-C: the terminal sends SIGINT to ftp
	scr.waitAfter(t, "interrupted: run the same command again to resume\r\n", "ftp> ")
	close(rl.release) // the server sees the old connection end
	d.waitLog(t, "part file kept for resume")
	m.WriteString("put big.bin\r")
	scr.waitAfter(t, "(resumed at ", "ftp> ")
	m.WriteString("quit\r")
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("ftp exited with %v, want status 1 (the interrupted put failed)", err)
		}
	case <-time.After(e2eTimeout):
		t.Fatal("ftp did not quit")
	}
	if n := strings.Count(scr.String(), "logged in as demo"); n != 1 {
		t.Errorf("\"logged in as demo\" shown %d times, want once: the session goes on", n)
	}
}

// TestInteractivePromptCompletionHistory runs the real ftp binary on a
// pseudo-terminal, as a student types: the "ftp> " prompt appears, Tab
// completes a command and a remote directory, the up arrow recalls the
// last command, help lists the commands, and quit ends with status 0.
func TestInteractivePromptCompletionHistory(t *testing.T) {
	d := startDaemon(t, "")
	dir := t.TempDir()
	wantOK(t, ftp(t, dir, d.addr, "demo", d.demoPW, "mkdir projects\n"))
	m, scr, done := startOnTerminal(t, dir, d.addr, d.demoPW)
	scr.waitCount(t, "ftp> ", 1)
	m.WriteString("pw")
	scr.waitCount(t, "ftp> pw", 1)
	m.WriteString("\t\r") // Tab completes "pwd"
	scr.waitCount(t, "/\r\n", 1)
	scr.waitCount(t, "ftp> ", 2)
	m.WriteString("cd pro\t\r") // Tab completes the remote "projects/"
	scr.waitCount(t, "ftp> ", 3)
	m.WriteString("pwd\r")
	scr.waitCount(t, "/projects\r\n", 1)
	scr.waitCount(t, "ftp> ", 4)
	m.WriteString("\x1b[A\r") // up arrow: pwd again
	scr.waitCount(t, "/projects\r\n", 2)
	scr.waitCount(t, "ftp> ", 5)
	m.WriteString("help\r")
	scr.waitCount(t, "quit                 end the session", 1)
	scr.waitCount(t, "ftp> ", 6)
	m.WriteString("quit\r")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ftp exited with %v, want 0", err)
		}
	case <-time.After(e2eTimeout):
		t.Fatal("ftp did not quit")
	}
}

func (s *terminalScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.String()
}

// waitAfter waits until sub appears after the first appearance of marker.
func (s *terminalScreen) waitAfter(t *testing.T, marker, sub string) {
	t.Helper()
	deadline := time.After(e2eTimeout)
	for {
		s.mu.Lock()
		text, ch := s.text.String(), s.changed
		s.mu.Unlock()
		if i := strings.Index(text, marker); i >= 0 && strings.Contains(text[i+len(marker):], sub) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%q not shown after %q; screen:\n%q", sub, marker, text)
		}
	}
}
