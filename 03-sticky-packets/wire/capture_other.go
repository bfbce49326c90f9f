//go:build !linux

package wire

import (
	"errors"
	"fmt"
)

// Supported reports whether this system can capture packets.
const Supported = false

// Capture records the packets of one interface; it needs Linux.
type Capture struct{}

// Start returns an error wrapping errors.ErrUnsupported: capturing needs Linux.
func Start(iface string, outgoingOnly bool) (*Capture, error) {
	return nil, fmt.Errorf("capturing packets needs Linux: %w", errors.ErrUnsupported)
}

// Stop returns an error wrapping errors.ErrUnsupported.
func (c *Capture) Stop(to string) ([]Packet, error) {
	return nil, fmt.Errorf("capturing packets needs Linux: %w", errors.ErrUnsupported)
}
