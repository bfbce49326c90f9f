// Package echo implements the TCP echo server and client of chapter 01.
//
// The server follows the course notes closely: it accepts one client at a
// time (the connection loop) and, for each client, reads at most [BufSize]
// bytes per call and answers them (the conversation loop). By default the
// answer is the same bytes; with [Server.Operator] set, a person types each
// answer, as in the notes.
//
// A minimal server and client over loopback:
//
//	ln, err := net.Listen("tcp", "127.0.0.1:0")
//	// ...
//	srv := &echo.Server{}
//	go srv.Serve(ln)
//	defer srv.Close()
//
//	conn, err := echo.Dial(ctx, ln.Addr().String())
//	// ...
//	err = echo.Chat(conn, strings.NewReader("hello\n"), os.Stdout, "")
//
// The client side speaks in lines: [Chat] sends each non-blank line of its
// input, newline included, and copies the reply up to and including the next
// newline. The server knows nothing of lines; it echoes whatever bytes each
// read returns.
package echo
