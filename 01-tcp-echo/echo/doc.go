// Package echo implements the TCP echo server and client of chapter 01.
//
// The server is the note's server with what a real program adds. Its core is
// in server.go: the connection loop accepts one client at a time, and the
// conversation loop reads at most [BufSize] bytes per call and answers them.
// By default the answer is the same bytes; with [OperatorReplies] a person
// types each answer, as in the note. The other files each add one thing:
// close.go stops the server, retry.go survives a failing Accept,
// deadline.go drops a silent client, operator.go is the operator mode.
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
// [Chat] sends each non-blank line of its input, newline included, and shows
// whatever each read returns as it arrives. The server knows nothing of
// lines; it echoes whatever bytes each read returns.
package echo
