//go:build !unix

package homefs

import "os"

// fileID has no stable identity to offer here: checksum records are kept
// by path, and a file's record is moved when the file is (not when a
// directory above it is).
func fileID(os.FileInfo) (string, bool) { return "", false }
