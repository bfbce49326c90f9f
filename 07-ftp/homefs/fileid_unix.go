//go:build unix

package homefs

import (
	"fmt"
	"os"
	"syscall"
)

// fileID names a file by its device and inode, which stay the same when
// the file or a directory above it is renamed.
func fileID(fi os.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("i%x-%x", uint64(st.Dev), uint64(st.Ino)), true
}
