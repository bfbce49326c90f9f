package echo

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// acceptFailed decides what Serve does after Accept failed with err, when the
// last wait was delay. A temporary failure (out of file descriptors or
// memory, or a timeout) is not a reason to give up on every future client:
// it waits and returns the wait, which starts at 5 ms, doubles, and stops
// growing at 1 s. Any other failure, or Close during the wait, is returned
// for Serve to end with.
func (s *Server) acceptFailed(ctx context.Context, err error, delay time.Duration) (time.Duration, error) {
	if s.shuttingDown() {
		return 0, ErrServerClosed
	}
	if !temporary(err) {
		return 0, err
	}
	delay = min(max(2*delay, 5*time.Millisecond), time.Second)
	s.logger().Warn("accept failed; retrying", "err", err, "delay", delay)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return delay, nil
	case <-ctx.Done(): // Close
		return 0, ErrServerClosed
	}
}

// temporary reports whether an Accept error is a shortage that may pass.
func temporary(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
