//go:build !linux

package sticky

import (
	"errors"
	"fmt"
	"net"
)

// segmentsSupported reports whether this platform can count TCP segments.
const segmentsSupported = false

var errNeedsLinux = fmt.Errorf("needs Linux: %w", errors.ErrUnsupported)

// SegmentsSent returns how many TCP segments carrying data c has sent so far
// (tcpi_data_segs_out of Linux's TCP_INFO; a retransmission counts again).
// On other systems it returns an error wrapping errors.ErrUnsupported.
func SegmentsSent(c *net.TCPConn) (int, error) { return 0, errNeedsLinux }

// SegmentsReceived returns how many TCP segments carrying data c has received so far
// (tcpi_data_segs_in of Linux's TCP_INFO).
// On other systems it returns an error wrapping errors.ErrUnsupported.
func SegmentsReceived(c *net.TCPConn) (int, error) { return 0, errNeedsLinux }

// unacked returns how many segments c has sent that the peer has not yet acknowledged.
func unacked(c *net.TCPConn) (int, error) { return 0, errNeedsLinux }

// segmentsInAll returns how many TCP segments c has received, pure ACKs included.
func segmentsInAll(c *net.TCPConn) (int, error) { return 0, errNeedsLinux }

// SetCork turns Linux's TCP_CORK on or off on c.
// On other systems it returns an error wrapping errors.ErrUnsupported.
func SetCork(c *net.TCPConn, on bool) error { return errNeedsLinux }

// DelayACKs asks Linux to delay the acknowledgements c sends (TCP_QUICKACK=0).
// On other systems it returns an error wrapping errors.ErrUnsupported.
func DelayACKs(c *net.TCPConn) error { return errNeedsLinux }

// NoDelay reports whether TCP_NODELAY is set on c.
// On other systems it returns an error wrapping errors.ErrUnsupported.
func NoDelay(c *net.TCPConn) (bool, error) { return false, errNeedsLinux }

// WaitQueued blocks until at least n bytes are queued on c for reading.
// On systems other than Linux it returns nil at once: there the caller relies on
// the writer's signal alone.
func WaitQueued(c *net.TCPConn, n int) error { return nil }
