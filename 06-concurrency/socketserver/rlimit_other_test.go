//go:build !linux

package socketserver

import "testing"

// ensureFileLimit does nothing outside Linux: macOS and Windows tests rely
// on the limit Go's runtime already raises at start-up.
func ensureFileLimit(t *testing.T, n uint64) { t.Helper() }
