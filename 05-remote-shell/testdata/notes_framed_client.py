# A client written the way the course notes write their framed client:
# it sends the raw command bytes with one send, reads a 4-byte header
# length with recv(4), unpacks it with struct, reads the JSON header, then
# calls recv(1024) until data_size bytes have come in.
#
# Changes from the notes, each needed to run at all or to be tested:
# - the quote marks the scraped notes lost are back;
# - the address comes from argv and commands come from stdin lines;
# - struct.unpack returns a tuple, so [0] takes the integer out (the notes
#   pass the tuple to recv, which raises TypeError);
# - the header dict goes to stderr and each body is followed by a marker
#   line, so that a test can split the replies.
# Kept from the notes: recv(4) and recv(head_len) may return short reads,
# and the body loop can read past data_size; with one command in flight at
# a time, as here, neither bites on loopback.
import json
import struct
import sys
from socket import AF_INET, SOCK_STREAM, socket

t = socket(AF_INET, SOCK_STREAM)
t.connect((sys.argv[1], int(sys.argv[2])))

for line in sys.stdin:
    cmd = line.rstrip('\n')
    if not cmd:
        continue
    t.send(bytes(cmd, encoding='utf8'))
    head_struct = t.recv(4)
    head_len = struct.unpack('i', head_struct)[0]
    head_bytes = t.recv(head_len)
    head_json = head_bytes.decode('utf8')
    head_dic = json.loads(head_json)
    print(head_dic, file=sys.stderr)
    data_size = head_dic['data_size']

    recv_size = 0
    recv_data = b''
    while recv_size < data_size:
        data = t.recv(1024)
        recv_size += len(data)
        recv_data += data
    sys.stdout.write(recv_data.decode('utf8'))
    sys.stdout.write('=== end\n')

t.close()
