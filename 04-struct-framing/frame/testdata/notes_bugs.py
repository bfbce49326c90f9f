"""Shows, in Python, each bug of the course notes' framing client.

Run as: python3 notes_bugs.py CASE, where CASE is recv4, unpack, recv1024,
concat or pack. Each case prints one JSON object that the Go test
frame/notes_test.go checks. The code marked "notes" follows the notes'
client line by line (with the quote marks the scrape lost put back).
"""
import json
import socket
import struct
import sys


def tcp_pair():
    """Returns two connected TCP sockets over loopback."""
    with socket.create_server(("127.0.0.1", 0)) as ln:
        a = socket.create_connection(ln.getsockname(), timeout=5)
        b, _ = ln.accept()
        b.settimeout(5)
        return a, b


def notes_frame(body):
    """Encodes one frame the way the notes' server does."""
    head_bytes = json.dumps({"data_size": len(body)}).encode("utf8")
    return struct.pack("i", len(head_bytes)) + head_bytes + body


def recv4():
    # The sender has written only 2 of the prefix's 4 bytes so far.
    sender, t = tcp_pair()
    sender.sendall(notes_frame(b"helloworld")[:2])
    head_struct = t.recv(4)  # notes
    out = {"recv4_returned": len(head_struct)}
    try:
        struct.unpack("i", head_struct)  # notes
        out["unpack_error"] = ""
    except struct.error as e:
        out["unpack_error"] = "struct.error: %s" % e
    print(json.dumps(out))


def unpack():
    sender, t = tcp_pair()
    sender.sendall(notes_frame(b"helloworld"))
    head_struct = t.recv(4)  # notes
    head_len = struct.unpack("i", head_struct)  # notes
    out = {"type": type(head_len).__name__, "value": repr(head_len)}
    try:
        t.recv(head_len)  # notes: head_bytes = t.recv(head_len)
        out["recv_error"] = ""
    except TypeError as e:
        out["recv_error"] = "TypeError: %s" % e
    print(json.dumps(out))


def recv1024():
    # Two replies sit in the receive buffer, as when a server answers two
    # commands quickly; the client reads the first one the notes' way.
    sender, t = tcp_pair()
    wire = notes_frame(b"helloworld") + notes_frame(b"SB")
    sender.sendall(wire)
    sender.shutdown(socket.SHUT_WR)
    head_struct = t.recv(4)  # notes
    head_len = struct.unpack("i", head_struct)[0]  # the tuple bug fixed
    head_bytes = t.recv(head_len)  # notes
    head_dic = json.loads(head_bytes.decode("utf8"))  # notes
    data_size = head_dic["data_size"]  # notes
    recv_size = 0  # notes
    recv_data = b""  # notes
    while recv_size < data_size:  # notes
        data = t.recv(1024)  # notes
        recv_size += len(data)  # notes
        recv_data += data  # notes
    rest = t.recv(4)  # where the second reply's prefix should be
    print(json.dumps({
        "wire_hex": wire.hex(),
        "data_size": data_size,
        "recv_size": recv_size,
        "body": recv_data.decode("latin-1"),
        "next_prefix_hex": rest.hex(),
    }))


def concat():
    # The notes' body loop, fed 512 KiB in 1024-byte chunks as recv(1024)
    # would return them. A bytes object cannot grow: each += builds a new
    # object and copies everything received so far into it. A new object's
    # id differs from the old one, which is alive while the copy is made.
    chunk = b"x" * 1024
    chunks = 512
    recv_data = b""
    new_objects = 0
    bytes_copied = 0
    for _ in range(chunks):
        before = id(recv_data)
        recv_data += chunk  # notes
        if id(recv_data) != before:
            new_objects += 1
            bytes_copied += len(recv_data)
    print(json.dumps({
        "chunks": chunks,
        "chunk_size": len(chunk),
        "new_objects": new_objects,
        "bytes_copied": bytes_copied,
        "final_size": len(recv_data),
    }))


def pack():
    # What struct.pack writes for a header length of 16 (0x10), in native
    # order ('i', what the notes use), little-endian ('<i') and network
    # order ('!i'), and the machine's byte order.
    print(json.dumps({
        "byteorder": sys.byteorder,
        "native": struct.pack("i", 16).hex(),
        "little": struct.pack("<i", 16).hex(),
        "network": struct.pack("!i", 16).hex(),
        "negative": struct.pack("i", -2).hex(),
        "calcsize": struct.calcsize("i"),
    }))


if __name__ == "__main__":
    {"recv4": recv4, "unpack": unpack, "recv1024": recv1024,
     "concat": concat, "pack": pack}[sys.argv[1]]()
