package rsh

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// readResult records one read call: the bytes it returned and its error.
type readResult struct {
	Data []byte
	Err  error
}

// outcome is a finished command: its spooled output and how it ended.
type outcome struct {
	stdout, stderr spool
	exitCode       int
	status         string
	killed         string
	// secondStderr and secondStdout are the notes' extra reads of the
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

// budget is the output cap shared by stdout and stderr.
type budget struct {
	mu   sync.Mutex
	left int64
	err  error // first error writing a spool file
	over chan struct{}
	once sync.Once
}

func (b *budget) trip() { b.once.Do(func() { close(b.over) }) }

func (b *budget) tripped() bool {
	select {
	case <-b.over:
		return true
	default:
		return false
	}
}

// cappedWriter writes into a spool until the shared budget runs out, then
// drops the rest. It always reports the whole write as done, so the copy
// from the pipe keeps draining and the command never blocks on a full pipe.
type cappedWriter struct {
	b *budget
	s *spool
}

func (w cappedWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	allow := min(int64(len(p)), w.b.left)
	w.b.left -= allow
	w.b.mu.Unlock()
	if allow < int64(len(p)) {
		w.b.trip()
	}
	if allow > 0 {
		n, err := w.s.f.Write(p[:allow])
		w.s.n += int64(n)
		if err != nil {
			w.b.mu.Lock()
			if w.b.err == nil {
				w.b.err = err
			}
			w.b.left = 0
			w.b.mu.Unlock()
			w.b.trip()
		}
	}
	return len(p), nil
}

// execute runs command with sh -c and no stdin, in a process group of its
// own, spooling its output. The command ends when the shell exits; the
// server then kills the rest of the group, so nothing the command started in
// the background outlives it. The group is killed sooner when the time limit
// passes, when the output cap is reached or when ctx ends (context.Cause(ctx)
// is then the reason). With secondRead set, execute repeats the notes' second
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

	b := &budget{left: s.maxOutput(), over: make(chan struct{})}
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

	timer := time.NewTimer(s.timeout())
	defer timer.Stop()
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-timer.C:
		out.killed = fmt.Sprintf("time limit %v exceeded", s.timeout())
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

	b.mu.Lock()
	spoolErr := b.err
	b.mu.Unlock()
	if spoolErr != nil {
		return out, fmt.Errorf("store output: %w", spoolErr)
	}

	out.exitCode = cmd.ProcessState.ExitCode()
	out.status = cmd.ProcessState.String()
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return out, waitErr
	}
	return out, nil
}

func overLimit(n int64) string {
	return fmt.Sprintf("output limit of %d bytes exceeded", n)
}

// readDrainedAgain repeats what the notes' unframed server does after it has
// sent stdout and stderr: err = res.stderr.read(), and if that is empty,
// res.stdout.read(). Both pipes are already read to the end, so each read
// returns 0 bytes and io.EOF: the notes' third send has nothing to send.
func readDrainedAgain(stdout, stderr io.Reader) (errRead, outRead readResult) {
	buf := make([]byte, RawCommandSize)
	n, err := stderr.Read(buf)
	errRead = readResult{buf[:n], err}
	if n == 0 {
		buf = make([]byte, RawCommandSize)
		n, err = stdout.Read(buf)
		outRead = readResult{buf[:n], err}
	}
	return errRead, outRead
}
