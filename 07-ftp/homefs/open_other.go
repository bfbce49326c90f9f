//go:build !unix

package homefs

// openNonblock is zero where FIFOs cannot block an open.
const openNonblock = 0
