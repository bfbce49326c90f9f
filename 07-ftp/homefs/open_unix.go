//go:build unix

package homefs

import "syscall"

// openNonblock keeps an open of a FIFO from blocking until a writer appears.
const openNonblock = syscall.O_NONBLOCK
