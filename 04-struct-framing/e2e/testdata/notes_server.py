"""A framing server written the way the course notes write theirs.

struct.pack('i') for the length, a json header holding data_size, and the
data_size loop, as in the notes, with four of the notes' bugs fixed where
marked "fixed" (see chapter 04's README). It serves one connection: it
prints each message as "message N: DATA" and replies with a frame that
carries the message back, then exits when the client leaves.

Usage: python3 notes_server.py  (prints the port it listens on first)
"""
import json
import struct
import sys
from socket import AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, socket


def recv_exactly(conn, n):
    # fixed: the notes call recv(n) once, which may return fewer bytes.
    buf = b""
    while len(buf) < n:
        data = conn.recv(n - len(buf))
        if not data:
            break
        buf += data
    return buf


t = socket(AF_INET, SOCK_STREAM)
t.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 0))
t.listen(5)
print(t.getsockname()[1], flush=True)

conn, addr = t.accept()
conn.settimeout(10)
n = 0
while True:
    head_struct = recv_exactly(conn, 4)
    if not head_struct:
        break
    head_len = struct.unpack("i", head_struct)[0]  # fixed: unpack returns a tuple
    head_bytes = recv_exactly(conn, head_len)
    head_dic = json.loads(head_bytes.decode("utf8"))
    data_size = head_dic["data_size"]

    recv_size = 0
    chunks = []  # fixed: the notes grow one bytes object, copying it each time
    while recv_size < data_size:
        # fixed: the notes ask for 1024 bytes, which can take the next frame.
        data = conn.recv(min(1024, data_size - recv_size))
        if not data:
            sys.exit("client left in the middle of a message")
        recv_size += len(data)
        chunks.append(data)
    recv_data = b"".join(chunks)
    n += 1
    print("message %d: %s" % (n, recv_data.decode("utf8")), flush=True)

    reply_head = json.dumps({"seq": head_dic.get("seq", n), "data_size": len(recv_data)}).encode("utf8")
    conn.send(struct.pack("i", len(reply_head)))
    conn.send(reply_head)
    conn.send(recv_data)
conn.close()
t.close()
