// Package wire is the message format both note programs speak, as the
// note's homework writes it on chapter 04's struct framing: a 4-byte
// length, a JSON header (报头) that carries data_size, then the data.
package wire

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
)

// Head is the JSON header: a dict in Python.
type Head = map[string]any

// Recv reads one message: the 4-byte length, the header, data_size bytes.
func Recv(conn net.Conn) (Head, []byte, error) {
	var n uint32
	binary.Read(conn, binary.LittleEndian, &n) // head_len = struct.unpack('i', conn.recv(4))[0]
	b := make([]byte, min(n, 1<<16))           // a header is small: a bigger length is a lie
	var h Head
	if _, err := io.ReadFull(conn, b); err != nil || n == 0 || json.Unmarshal(b, &h) != nil {
		return nil, nil, io.ErrUnexpectedEOF // head_dic = json.loads(conn.recv(head_len).decode('utf-8'))
	}
	size, _ := h["data_size"].(float64)
	data := make([]byte, int(max(0, min(size, 1<<30)))) // the whole file in memory, as data += conn.recv(1024) does
	_, err := io.ReadFull(conn, data)                   // while recv_size < data_size: data += conn.recv(1024)
	return h, data, err
}

// Send writes one message: the 4-byte length, the header, the data.
func Send(conn net.Conn, h Head, data []byte) {
	h["data_size"] = len(data)
	b, _ := json.Marshal(h)                                // head_bytes = json.dumps(head_dic).encode('utf-8')
	binary.Write(conn, binary.LittleEndian, int32(len(b))) // conn.send(struct.pack('i', len(head_bytes)))
	conn.Write(append(b, data...))                         // conn.send(head_bytes); conn.send(data)
}

// MD5 is hashlib.md5(b).hexdigest().
func MD5(b []byte) string { return fmt.Sprintf("%x", md5.Sum(b)) }
