package message

import (
	"errors"
	"net"
	"syscall"
)

// temporary reports whether an Accept error may pass, so that Serve waits
// and tries again rather than give up on every future client: out of file
// descriptors (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM), or a timeout.
func temporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
