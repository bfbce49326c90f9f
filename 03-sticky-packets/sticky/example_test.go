package sticky_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

// The notes' two writes over loopback TCP, read by a reader that starts only once
// both are queued: one read returns both.
func ExampleReceiver() {
	tl, err := sticky.Receiver(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	tl.Print(os.Stdout)
	// Output:
	// -- receiver (S4): the reader reads late, 1024 bytes at a time
	//   writer                          | reader
	//   --------------------------------+-------------------------
	//   write #1: 10 bytes "helloworld" |
	//   write #2: 2 bytes "SB"          |
	//                                   | (starts reading only now)
	//                                   | read #1: 12 bytes "helloworldSB"
	//                                   | EOF (the writer closed)
	//   => 2 writes became 1 read: the boundaries between the writes are gone
}

// The same writes as UDP datagrams keep their boundaries.
func ExampleUDP() {
	tl, err := sticky.UDP(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("writes %q\n", tl.Writes())
	fmt.Printf("reads  %q\n", tl.Reads())
	// Output:
	// writes ["helloworld" "SB"]
	// reads  ["helloworld" "SB"]
}
