package sticky

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// segmentsSupported reports whether this platform can count TCP segments.
const segmentsSupported = true

// tcpInfo reads the kernel's TCP_INFO record of c.
func tcpInfo(c *net.TCPConn) (*unix.TCPInfo, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var info *unix.TCPInfo
	var serr error
	if err := rc.Control(func(fd uintptr) {
		info, serr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, fmt.Errorf("getsockopt TCP_INFO: %w", serr)
	}
	return info, nil
}

// SegmentsSent returns how many TCP segments carrying data c has sent so far
// (tcpi_data_segs_out of Linux's TCP_INFO; a retransmission counts again).
// On other systems it returns an error wrapping errors.ErrUnsupported.
func SegmentsSent(c *net.TCPConn) (int, error) {
	info, err := tcpInfo(c)
	if err != nil {
		return 0, err
	}
	return int(info.Data_segs_out), nil
}

// SegmentsReceived returns how many TCP segments carrying data c has received so far
// (tcpi_data_segs_in of Linux's TCP_INFO).
// On other systems it returns an error wrapping errors.ErrUnsupported.
func SegmentsReceived(c *net.TCPConn) (int, error) {
	info, err := tcpInfo(c)
	if err != nil {
		return 0, err
	}
	return int(info.Data_segs_in), nil
}

// unacked returns how many segments c has sent that the peer has not yet
// acknowledged (tcpi_unacked).
func unacked(c *net.TCPConn) (int, error) {
	info, err := tcpInfo(c)
	if err != nil {
		return 0, err
	}
	return int(info.Unacked), nil
}

// segmentsInAll returns how many TCP segments c has received, pure ACKs included
// (tcpi_segs_in).
func segmentsInAll(c *net.TCPConn) (int, error) {
	info, err := tcpInfo(c)
	if err != nil {
		return 0, err
	}
	return int(info.Segs_in), nil
}

func setTCPInt(c *net.TCPConn, name string, opt, val int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, opt, val)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("setsockopt %s=%d: %w", name, val, serr)
	}
	return nil
}

// SetCork turns Linux's TCP_CORK on or off on c. While the cork is in, the kernel
// sends only full segments; taking it out sends what is pending at once.
// On other systems it returns an error wrapping errors.ErrUnsupported.
func SetCork(c *net.TCPConn, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return setTCPInt(c, "TCP_CORK", unix.TCP_CORK, v)
}

// DelayACKs asks Linux to delay the acknowledgements c sends (TCP_QUICKACK=0, which
// puts the socket in its interactive "pingpong" mode), so that data sent to c stays
// unacknowledged for up to about 40 ms: what a slow link does to every acknowledgement.
// On other systems it returns an error wrapping errors.ErrUnsupported.
func DelayACKs(c *net.TCPConn) error {
	return setTCPInt(c, "TCP_QUICKACK", unix.TCP_QUICKACK, 0)
}

// NoDelay reports whether TCP_NODELAY is set on c, that is whether Nagle's
// algorithm is off. On other systems it returns an error wrapping errors.ErrUnsupported.
func NoDelay(c *net.TCPConn) (bool, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return false, err
	}
	var v int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		v, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY)
	}); err != nil {
		return false, err
	}
	if serr != nil {
		return false, fmt.Errorf("getsockopt TCP_NODELAY: %w", serr)
	}
	return v != 0, nil
}

// WaitQueued blocks until at least n bytes are queued on c for reading, without
// reading them, or until c's read deadline passes. On Linux it asks the kernel
// (ioctl SIOCINQ) each time the socket becomes readable. On other systems it
// returns nil at once: there the caller relies on the writer's signal alone.
func WaitQueued(c *net.TCPConn, n int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Read(func(fd uintptr) bool {
		var q int
		q, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		return ierr != nil || q >= n
	})
	if err != nil {
		return err
	}
	if ierr != nil {
		return fmt.Errorf("ioctl SIOCINQ: %w", ierr)
	}
	return nil
}
