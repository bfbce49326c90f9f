// Command tcpcopy is the benchmark's ceiling: it copies a file through a
// loopback TCP connection into another file with plain io.Copy, checking
// nothing, syncs the copy to disk (fsync) as every transfer of the
// benchmark does, and prints how long that took.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tcpcopy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("tcpcopy", flag.ContinueOnError)
	src := fl.String("src", "", "file to send")
	dst := fl.String("dst", "", "file to write")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *src == "" || *dst == "" {
		return errors.New("usage: tcpcopy -src FILE -dst FILE")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	out, err := os.Create(*dst)
	if err != nil {
		return err
	}
	defer out.Close()
	recv := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			recv <- err
			return
		}
		defer c.Close()
		if _, err = io.Copy(out, c); err == nil {
			err = out.Sync()
		}
		recv <- err
	}()
	in, err := os.Open(*src)
	if err != nil {
		return err
	}
	defer in.Close()
	start := time.Now()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	n, err := io.Copy(c, in)
	c.Close()
	if err != nil {
		return err
	}
	if err := <-recv; err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("tcpcopy: %d bytes in %.3f s, %.0f MiB/s\n", n, d.Seconds(), float64(n)/(1<<20)/d.Seconds())
	return nil
}
