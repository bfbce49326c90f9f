package main

import (
	"context"
	"os"
	"os/signal"
	"sync"

	"github.com/gosockets/tutorial/07-ftp/client"
)

// link is the shell's connection: the client logged in now, how to log in
// again, and whether a command is running, so that Ctrl-C can interrupt it
// without ending the session.
type link struct {
	// dial connects and logs in.
	dial func(ctx context.Context) (*client.Client, error)
	cwd  string // the remote directory, to return to after logging in again

	mu          sync.Mutex
	c           *client.Client
	running     bool
	interrupted bool
}

// connect logs in for the first time.
func (l *link) connect(ctx context.Context) error {
	c, err := l.dial(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.c = c
	l.mu.Unlock()
	return nil
}

// close says goodbye to the server.
func (l *link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c != nil {
		l.c.Close()
	}
}

// abort closes the connection at once, interrupting whatever runs on it.
func (l *link) abort() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c != nil {
		l.c.Abort()
	}
}

// running marks the start and end of a command.
func (l *link) setRunning(r bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running = r
}

// interrupt stops the command running, if any, by closing the connection
// (a transfer keeps its part files), and reports whether there was one.
func (l *link) interrupt() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.running {
		return false
	}
	l.interrupted = true
	l.c.Abort()
	return true
}

// wasInterrupted reports, once, that the last command was interrupted.
func (l *link) wasInterrupted() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := l.interrupted
	l.interrupted = false
	return i
}

// reconnect logs in again after an interrupted command, and goes back to
// the directory the session was in.
func (l *link) reconnect(ctx context.Context) error {
	c, err := l.dial(ctx)
	if err != nil {
		return err
	}
	if l.cwd != "" && l.cwd != "/" {
		if _, err := c.Cd(l.cwd); err != nil {
			l.cwd = "/"
		}
	}
	l.mu.Lock()
	l.c = c
	l.mu.Unlock()
	return nil
}

// watchInterrupts makes Ctrl-C (SIGINT) interrupt the command running;
// with none running, it calls quit. It returns a function that stops
// watching.
func (l *link) watchInterrupts(quit func()) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				if !l.interrupt() {
					quit()
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
