// Package rsh runs shell commands for network clients: the remote-command
// server of the course note, built on chapter 04's framing.
//
// # The protocol
//
// A client sends a command; the server runs it with sh -c and answers with one
// frame of package [frame]. The frame's JSON header holds data_size, the
// length of stdout and stderr together (exactly the field the note's client
// reads), and the fields of [Reply]: exit code, process status, the sizes of
// stdout and stderr, and why the server killed the command, if it did. The
// body is stdout followed by stderr.
//
// A command arrives in one of two forms, and the default server accepts both:
//
//   - raw bytes, as the note's clients send them ([Client.RunNotes]): the
//     server takes what one read of up to 1024 bytes returns
//     ([RawCommandSize]), like recv(1024);
//   - a frame whose body is the command, as [Client.Run] sends it. This
//     form has no size or boundary problems, up to [MaxCommandSize] bytes.
//
// The server tells them apart by the fourth byte: a frame's length prefix is
// a little-endian int32 no larger than 64 KiB, so its fourth byte is always
// zero, and a shell command can never hold a zero byte (sh -c takes a C
// string). If the first read brings fewer than four bytes, a zero byte among
// them means a frame; otherwise the bytes are a raw command.
//
// # The files
//
// server.go holds the Server, its connection loop and its conversation
// loop. The rest is one concern a file: request.go and reply.go (the wire),
// process.go (running a command: process group, spool files, the watch
// for a client that leaves), limits.go (time limit, output cap, connection
// limit), shutdown.go (Shutdown, Close and the bookkeeping they need),
// accept.go (the accept-retry rule), listen.go (loopback only), unframed.go
// (the note's unframed protocol) and client.go.
//
// # Safety
//
// Whoever connects runs commands as the server's user, so the server is
// careful about what each command may cost: a time limit and an output cap
// ([Server.TimeLimit], [Server.MaxOutput]), after which the command's whole
// process group is killed and the reply says why; no stdin (it reads
// /dev/null, so cat returns at once); a client that disconnects has its
// running command killed; every connection is served on its own goroutine,
// up to [Server.MaxConns]. Output is spooled to temporary files rather than
// memory, because the header, which comes first, must hold the output's
// size. [Listen] refuses non-loopback addresses unless asked.
//
// # The note's unframed server
//
// With [Server.Unframed] set, the server reproduces the note's first version:
// it sends stdout and stderr as they are, with no header, so a reply longer
// than the client's read spills into the next reply (claim R2). Like the
// note, it then reads the stderr pipe a second time; the pipe is already
// drained, so that read returns nothing (in Go: 0 bytes and io.EOF), the
// fallback read of stdout returns nothing too, and the third send sends zero
// bytes, which on TCP sends nothing at all.
package rsh
