package client_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/server"
)

// Example runs a server on a loopback port and a client that logs in,
// uploads a file, lists it, downloads it again and checks its quota.
func Example() {
	data, _ := os.MkdirTemp("", "ftp-example-data-")
	defer os.RemoveAll(data)
	work, _ := os.MkdirTemp("", "ftp-example-work-")
	defer os.RemoveAll(work)

	if err := accounts.Open(data).Add("alice", "s3cret", 1<<20); err != nil {
		fmt.Println(err)
		return
	}
	srv := &server.Server{DataDir: data}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ln.Addr().String(), 5*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Login("alice", "s3cret"); err != nil {
		fmt.Println(err)
		return
	}
	local := filepath.Join(work, "hello.txt")
	os.WriteFile(local, []byte("hello, world\n"), 0o644)
	put, err := c.Put(local, "")
	fmt.Println("put:", put.Path, put.Size, put.SHA256[:12], err)
	ents, _ := c.List("")
	for _, e := range ents {
		fmt.Println("ls:", e.Type, e.Size, e.Name)
	}
	get, err := c.Get("hello.txt", filepath.Join(work, "copy.txt"))
	fmt.Println("get:", filepath.Base(get.Path), get.SHA256 == put.SHA256, err)
	back, _ := os.ReadFile(filepath.Join(work, "copy.txt"))
	fmt.Print("content: ", string(back))
	u, _ := c.Quota()
	fmt.Println("quota:", u.Bytes, u.BytesLimit, u.Files, u.FilesLimit)
	// Output:
	// put: /hello.txt 13 853ff93762a0 <nil>
	// ls: file 13 hello.txt
	// get: copy.txt true <nil>
	// content: hello, world
	// quota: 13 1048576 1 10000
}
