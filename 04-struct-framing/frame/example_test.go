package frame_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
)

// ExampleReader sends two frames over a loopback TCP connection in quick
// succession and reads them back as two messages: header first, then a
// body of exactly data_size bytes, streamed with io.Copy.
func ExampleReader() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		frame.WriteBytes(c, map[string]string{"name": "first"}, []byte("helloworld"))
		frame.Write(c, map[string]string{"name": "second"}, 2, strings.NewReader("SB"))
	}()

	c, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fr := frame.NewReader(c)
	for {
		h, body, err := fr.Next()
		if err == io.EOF {
			fmt.Println("end of stream")
			return
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("header %s: ", h.Raw)
		io.Copy(os.Stdout, body)
		fmt.Println()
	}
	// Output:
	// header {"data_size":10,"name":"first"}: helloworld
	// header {"data_size":2,"name":"second"}: SB
	// end of stream
}

// ExampleEncodeHeader shows the bytes of a frame: a 4-byte little-endian
// length (0x10 = 16), the 16-byte JSON header, then the body.
func ExampleEncodeHeader() {
	hdr, err := frame.EncodeHeader(nil, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", hdr[:frame.PrefixSize])
	fmt.Printf("%s\n", hdr[frame.PrefixSize:])
	// Output:
	// 10 00 00 00
	// {"data_size":10}
}
