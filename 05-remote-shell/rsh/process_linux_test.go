package rsh_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
	"github.com/gosockets/tutorial/05-remote-shell/rsh"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// waitGone waits, up to ioTimeout, until process pid has died. It uses a
// pidfd, which becomes readable when the process exits, so it needs no
// polling loop. A process already gone counts as gone.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return
	}
	require.NoError(t, err, "pidfd_open(%d)", pid)
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(ioTimeout/time.Millisecond))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		require.NoError(t, err)
		if n == 0 {
			t.Fatalf("process %d still runs after %v", pid, ioTimeout)
		}
		return
	}
}

// groupGone reports whether no live process is left in process group pgid.
// Killed processes that nobody has reaped yet (zombies) do not count.
func groupGone(t *testing.T, pgid int) bool {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // it exited meanwhile
		}
		// Fields after the ")" closing the command name: state ppid pgrp ...
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			return false
		}
	}
	return true
}

// fifo makes a named pipe for a command to report on, and returns its
// path and a reader of it with a deadline.
func fifo(t *testing.T) (string, *bufio.Reader) {
	t.Helper()
	path, f := progtest.NamedPipe(t)
	require.NoError(t, f.SetReadDeadline(time.Now().Add(ioTimeout)))
	return path, bufio.NewReader(f)
}

// readPids reads a line of the form "pid pgid" from r, and checks that
// process pid is in process group pgid.
func readPids(t *testing.T, r *bufio.Reader) (pid, pgid int) {
	t.Helper()
	line, err := r.ReadString('\n')
	require.NoError(t, err, "waiting for the command to report its pid")
	f := strings.Fields(line)
	require.Len(t, f, 2, "line %q", line)
	pid, err = strconv.Atoi(f[0])
	require.NoError(t, err)
	pgid, err = strconv.Atoi(f[1])
	require.NoError(t, err)
	stat, err := os.ReadFile(filepath.Join("/proc", f[0], "stat"))
	require.NoError(t, err, "process %d should be running", pid)
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	require.Equal(t, f[1], fields[2], "process group of %d", pid)
	return pid, pgid
}

// background is a shell snippet that starts a grandchild, a sleep in the
// background, and reports its pid and the shell's pid to the file $F. The
// server made the shell a process group leader, so the shell's pid is the
// group's id.
const background = `sleep 600 & echo "$! $$" > "$F"; `

func TestDisconnectKillsTheWholeProcessGroup(t *testing.T) {
	requireShell(t)
	addr := startServer(t, &rsh.Server{})
	path, r := fifo(t)
	conn := dial(t, addr)
	_, err := conn.Write([]byte("F=" + path + "; " + background + "wait"))
	require.NoError(t, err)
	pid, pgid := readPids(t, r)
	require.False(t, groupGone(t, pgid), "group %d should be running", pgid)

	conn.Close() // the client leaves while its command runs

	waitGone(t, pid)
	waitGone(t, pgid) // the shell, leader of the group
	if !groupGone(t, pgid) {
		t.Errorf("process group %d still has live processes after the client left", pgid)
	}
}

func TestTimeLimitKillsTheWholeProcessGroup(t *testing.T) {
	requireShell(t)
	addr := startServer(t, &rsh.Server{TimeLimit: 3 * time.Second})
	path, r := fifo(t)
	c := rsh.NewClient(dial(t, addr))
	got := run(t, c, "F="+path+"; "+background+"wait")
	pid, pgid := readPids(t, r)
	if got.rep.Killed == "" {
		t.Errorf("Killed is empty, want the time limit")
	}
	waitGone(t, pid)
	waitGone(t, pgid) // the shell, leader of the group
	if !groupGone(t, pgid) {
		t.Errorf("process group %d still has live processes after the time limit", pgid)
	}
}

func TestBackgroundJobsDieWithTheCommand(t *testing.T) {
	requireShell(t)
	addr := startServer(t, &rsh.Server{})
	path, r := fifo(t)
	c := rsh.NewClient(dial(t, addr))
	// The background sleep keeps the output pipes open, but the command is
	// over when the shell exits: the server kills the rest of the group and
	// replies at once, not at the 30 s time limit.
	got := run(t, c, "F="+path+"; "+background+"echo done")
	if got.stdout != "done\n" || got.rep.Killed != "" {
		t.Errorf("reply = %q, killed %q; want %q, not killed", got.stdout, got.rep.Killed, "done\n")
	}
	pid, pgid := readPids(t, r)
	waitGone(t, pid)
	waitGone(t, pgid) // the shell, leader of the group
	if !groupGone(t, pgid) {
		t.Errorf("process group %d still has live processes", pgid)
	}
}

func TestOtherClientsAreNotAffected(t *testing.T) {
	addr := startServer(t, &rsh.Server{})
	path, r := fifo(t)

	// The first client's command reports that it runs, then blocks.
	busy := dial(t, addr)
	_, err := busy.Write([]byte("echo started > " + path + "; sleep 600"))
	require.NoError(t, err)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started\n", line)

	// Meanwhile a second client is served at once.
	c := rsh.NewClient(dial(t, addr))
	if got := run(t, c, "echo second"); got.stdout != "second\n" {
		t.Errorf("second client's reply = %q, want %q", got.stdout, "second\n")
	}
}
