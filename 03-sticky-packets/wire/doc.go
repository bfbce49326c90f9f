// Package wire lines up what a demonstration of package sticky did with what
// went over the wire: it captures the packets of a run (Linux, AF_PACKET),
// writes them as a pcapng file that Wireshark and tcpdump read, and draws a
// picture in three columns — the writer's writes, the segments, the reader's
// reads — with a line from each write to the segments that carried its bytes
// and from each segment to the reads that took them.
package wire

// VethMTU is the MTU of the veth pair that Record sets up with veth: Ethernet's.
const VethMTU = 1500
