"""A framing client written the way the course notes write theirs.

It sends each message as the notes' server sends a reply: three sends,
struct.pack('i') of the header's length, the json header holding
data_size, then the data, all in quick succession. Then it reads one reply
per message with the notes' data_size loop, fixed where marked "fixed"
(see chapter 04's README), and prints "reply N: DATA".

Usage: python3 notes_client.py PORT MESSAGE...
"""
import json
import struct
import sys
from socket import AF_INET, SOCK_STREAM, socket


def recv_exactly(conn, n):
    # fixed: the notes call recv(n) once, which may return fewer bytes.
    buf = b""
    while len(buf) < n:
        data = conn.recv(n - len(buf))
        if not data:
            sys.exit("server closed the connection")
        buf += data
    return buf


t = socket(AF_INET, SOCK_STREAM)
t.settimeout(10)
t.connect(("127.0.0.1", int(sys.argv[1])))

msgs = sys.argv[2:]
for i, msg in enumerate(msgs, 1):
    data = msg.encode("utf8")
    head_bytes = json.dumps({"seq": i, "data_size": len(data)}).encode("utf8")
    t.send(struct.pack("i", len(head_bytes)))
    t.send(head_bytes)
    t.send(data)

for _ in msgs:
    head_struct = recv_exactly(t, 4)
    head_len = struct.unpack("i", head_struct)[0]  # fixed: unpack returns a tuple
    head_dic = json.loads(recv_exactly(t, head_len).decode("utf8"))
    data_size = head_dic["data_size"]
    recv_size = 0
    chunks = []  # fixed: the notes grow one bytes object, copying it each time
    while recv_size < data_size:
        # fixed: the notes ask for 1024 bytes, which can take the next frame.
        data = t.recv(min(1024, data_size - recv_size))
        if not data:
            sys.exit("server closed the connection")
        recv_size += len(data)
        chunks.append(data)
    print("reply %d: %s" % (head_dic["seq"], b"".join(chunks).decode("utf8")), flush=True)
t.close()
