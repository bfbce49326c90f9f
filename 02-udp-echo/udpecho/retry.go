package udpecho

import (
	"context"
	"errors"
	"net"
	"time"
)

// readFailed decides what Serve does after a read failed with err, when the
// last wait was delay. A UDP socket's read can fail and then work again: on
// Windows, for one, a read reports the ICMP error that an earlier reply to a
// client that has gone away caused. So any failure but a closed socket is
// logged, and Serve waits and reads again; the wait starts at 5 ms, doubles,
// and stops growing at 1 s, so that an error that keeps coming back does not
// make the loop spin. A closed socket, or Close during the wait, is returned
// for Serve to end with.
func (s *Server) readFailed(ctx context.Context, err error, delay time.Duration) (time.Duration, error) {
	if s.isClosed() {
		return 0, ErrServerClosed
	}
	if errors.Is(err, net.ErrClosed) {
		return 0, err
	}
	delay = min(max(2*delay, 5*time.Millisecond), time.Second)
	s.logger().Warn("read failed; retrying", "err", err, "delay", delay)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return delay, nil
	case <-ctx.Done():
		return 0, ErrServerClosed
	}
}
