package sticky

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// nextRetry returns how long Serve waits before calling Accept again after err,
// given the previous wait (zero after a successful accept), or zero if err is not
// temporary and Serve must end. A temporary failure is running out of file
// descriptors or memory, or a net.Error that timed out. The wait starts at 5 ms,
// doubles, and stops growing at 1 s.
func nextRetry(err error, delay time.Duration) time.Duration {
	var ne net.Error
	temporary := errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		(errors.As(err, &ne) && ne.Timeout())
	if !temporary {
		return 0
	}
	return min(max(2*delay, 5*time.Millisecond), time.Second)
}
