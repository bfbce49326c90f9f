package rsh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
)

// killGrace is how long the server waits, after the shell has exited and its
// process group has been killed, for the output pipes to close before it
// closes them itself. A process that left the group (setsid) and kept the
// pipes open would otherwise hold the connection forever.
const killGrace = 2 * time.Second

// outcome is a finished command: its spooled output and how it ended.
type outcome struct {
	stdout, stderr spool
	exitCode       int
	status         string
	killed         string
	// secondStderr and secondStdout are the note's extra reads of the
	// already drained pipes; they are made only in unframed mode.
	secondStderr, secondStdout readResult
}

// close removes the spool files.
func (o *outcome) close() {
	o.stdout.close()
	o.stderr.close()
}

// spool is one output stream stored in a temporary file.
type spool struct {
	f *os.File
	n int64 // bytes kept (the output cap may have cut the stream)
}

func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

// reader returns a reader of the spooled bytes from the start.
func (s *spool) reader() io.Reader {
	return io.NewSectionReader(s.f, 0, s.n)
}

// runWatched runs command while watching the connection: if the client
// disconnects before the command ends, the command is killed.
func (s *Server) runWatched(conn net.Conn, br *bufio.Reader, command string) (*outcome, error) {
	ctx, cancel := context.WithCancelCause(s.commands())
	defer cancel(nil)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		// Peek waits for the next byte without consuming it: a byte means
		// the client is still there (it sent its next command early); an
		// error other than a deadline means it has gone.
		if _, err := br.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel(errClientGone)
		}
	}()
	out, err := s.execute(ctx, command, s.Unframed)
	// Stop the watcher: a read deadline in the past wakes its Peek.
	conn.SetReadDeadline(time.Now())
	<-watching
	conn.SetReadDeadline(time.Time{})
	return out, err
}

// execute runs command with sh -c and no stdin, in a process group of its
// own, spooling its output. The command ends when the shell exits; the
// server then kills the rest of the group, so nothing the command started in
// the background outlives it. The group is killed sooner when the time limit
// passes, when the output cap is reached or when ctx ends (context.Cause(ctx)
// is then the reason). With secondRead set, execute repeats the note's second
// read of the drained pipes.
func (s *Server) execute(ctx context.Context, command string, secondRead bool) (out *outcome, err error) {
	out = &outcome{}
	defer func() {
		if err != nil {
			out.close()
		}
	}()
	if out.stdout.f, err = os.CreateTemp(s.TempDir, "rsh-stdout-*"); err != nil {
		return out, err
	}
	if out.stderr.f, err = os.CreateTemp(s.TempDir, "rsh-stderr-*"); err != nil {
		return out, err
	}

	// Our own pipes rather than cmd.StdoutPipe: Wait then leaves the read
	// ends alone, so the server learns that the shell has exited while
	// background jobs may still hold the write ends.
	outR, outW, err := os.Pipe()
	if err != nil {
		return out, err
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return out, err
	}
	defer errR.Close()

	cmd := exec.Command("sh", "-c", command)
	// cmd.Stdin stays nil: the command reads /dev/null and sees EOF at once.
	cmd.Stdout, cmd.Stderr = outW, errW
	setProcessGroup(cmd)
	err = cmd.Start()
	outW.Close() // the child has its own copies now
	errW.Close()
	if err != nil {
		return out, err
	}

	// Drain both pipes at once, into the spool files: reading stdout to
	// the end first, as the note does, deadlocks on a command that fills
	// the stderr pipe first.
	b := newBudget(s.maxOutput())
	copied := make(chan struct{})
	go func() {
		var copies sync.WaitGroup
		copies.Go(func() { io.Copy(cappedWriter{b, &out.stdout}, outR) })
		copies.Go(func() { io.Copy(cappedWriter{b, &out.stderr}, errR) })
		copies.Wait()
		close(copied)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	timer := time.NewTimer(s.timeLimit())
	defer timer.Stop()
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-timer.C:
		out.killed = fmt.Sprintf("time limit %v exceeded", s.timeLimit())
	case <-b.over:
		out.killed = overLimit(s.maxOutput())
	case <-ctx.Done():
		out.killed = context.Cause(ctx).Error()
	}
	if out.killed != "" {
		killGroup(cmd.Process)
		waitErr = <-exited // the shell is our child: SIGKILL ends it at once
	}
	// Kill whatever the shell left running in its group (a background job);
	// after a kill above this finds nothing.
	killGroup(cmd.Process)

	// The pipes end once every process holding them is dead. One that left
	// the group (setsid) could hold them forever, so give up after a grace.
	grace := time.NewTimer(killGrace)
	select {
	case <-copied:
	case <-grace.C:
		outR.Close()
		errR.Close()
		<-copied
	}
	grace.Stop()
	if out.killed == "" && b.tripped() {
		// The shell had exited, but its output was over the cap: it was cut.
		out.killed = overLimit(s.maxOutput())
	}
	if secondRead {
		out.secondStderr, out.secondStdout = readDrainedAgain(outR, errR)
	}
	if err := b.spoolErr(); err != nil {
		return out, fmt.Errorf("store output: %w", err)
	}

	out.exitCode = cmd.ProcessState.ExitCode()
	out.status = cmd.ProcessState.String()
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return out, waitErr
	}
	return out, nil
}
