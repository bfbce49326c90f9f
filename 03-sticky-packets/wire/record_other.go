//go:build !linux

package wire

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// CanCapture reports why this system cannot capture packets: it needs Linux.
func CanCapture() error {
	return fmt.Errorf("capturing packets needs Linux: %w", errors.ErrUnsupported)
}

// Record needs Linux; elsewhere it returns the error of CanCapture.
func Record(ctx context.Context, c sticky.Case, o sticky.Options, veth bool) (*Recording, error) {
	return nil, CanCapture()
}
