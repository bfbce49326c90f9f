// Package sticky shows, reproducibly, how TCP loses the boundaries between writes
// (the "sticky packet" problem of the course notes) and how UDP keeps them.
//
// A [Timeline] records every write and every read of a demonstration with its length
// and its bytes, quoted, and prints them side by side so that a merge is visible at a
// glance. The demonstrations ([Receiver], [Partial], [Sender], [Sleep], [UDP] and
// [Lengths]) run both ends in one process over loopback. They synchronise with
// channels, never with timers: a reader that must read late waits until the writer
// reports that all its writes are done and, on Linux, until the kernel reports that
// the bytes are queued on the reading socket (SIOCINQ).
//
// [Sender] counts the TCP segments that really left the writer (Linux TCP_INFO), so
// that what Nagle's algorithm and TCP_CORK do is measured rather than assumed;
// [MeasureBurst] does the same for bursts of many writes.
//
// [Server] and [WriteAll] are the two halves of the chapter's server and client:
// a server that prints every read it gets, and a client that prints every write.
package sticky
