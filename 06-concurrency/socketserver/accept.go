package socketserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"syscall"
	"time"
)

// acceptRetry is the accept-retry rule every server of this course follows.
// A temporary failure (see isTemporary) waits and retries: the wait starts
// at 5 ms, doubles, stops growing at 1 s, and resets after a successful
// accept. Anything else ends Serve.
type acceptRetry struct{ delay time.Duration }

// wait logs err and sleeps for the next delay, or until ctx ends.
func (r *acceptRetry) wait(ctx context.Context, log *slog.Logger, err error) {
	r.delay = min(max(2*r.delay, 5*time.Millisecond), time.Second)
	log.Warn("accept failed; retrying", "err", err, "delay", r.delay)
	sleep(ctx, r.delay)
}

// reset starts the delays again from 5 ms; call it after a successful accept.
func (r *acceptRetry) reset() { r.delay = 0 }

// isTemporary reports whether a failed accept may succeed if tried again:
// the process or the system is out of descriptors, buffers or memory for
// now (EMFILE, ENFILE, ENOBUFS, ENOMEM), or the error is a timeout.
func isTemporary(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sleep waits for d or for ctx to end; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
