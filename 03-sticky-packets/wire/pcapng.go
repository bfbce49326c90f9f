package wire

import (
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// WritePcapng writes pkts to w as a pcapng file of one Ethernet interface named
// iface. comments[i], if any, become the comments of packet i, which Wireshark
// shows with the packet (and lists under Statistics › Capture File Properties).
func WritePcapng(w io.Writer, iface string, pkts []Packet, comments map[int][]string) error {
	intf := pcapgo.DefaultNgInterface
	intf.Name = iface
	intf.LinkType = layers.LinkTypeEthernet
	opts := pcapgo.DefaultNgWriterOptions
	opts.SectionInfo.Application = "03-sticky-packets demo -capture"
	nw, err := pcapgo.NewNgWriterInterface(w, intf, opts)
	if err != nil {
		return err
	}
	for i, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := nw.WritePacketWithOptions(ci, p.Data, pcapgo.NgPacketOptions{Comments: comments[i]}); err != nil {
			return err
		}
	}
	return nw.Flush()
}
