//go:build !unix

package rsh

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing on systems without Unix process groups.
func setProcessGroup(cmd *exec.Cmd) {}

// killGroup kills only the process itself on systems without Unix process
// groups; its children may survive. (Windows would need a job object.)
func killGroup(p *os.Process) {
	p.Kill()
}
