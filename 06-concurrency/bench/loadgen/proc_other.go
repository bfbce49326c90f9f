//go:build !linux

package main

import (
	"errors"
	"time"
)

var errLinuxOnly = errors.New("loadgen reads /proc and runs on Linux only")

func checkProc() error                       { return errLinuxOnly }
func cpuTime(pid int) (time.Duration, error) { return 0, errLinuxOnly }
func readMem(pid int) (mem, error)           { return mem{}, errLinuxOnly }
