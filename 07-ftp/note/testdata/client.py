# The note's FTP homework as a student writes it first, in Python: the
# client. It logs in, then puts and gets one file a line (put FILE, get FILE).
# Usage: python3 client.py [HOST:PORT]   (default 127.0.0.1:8080)
import hashlib
import json
import socket
import struct
import sys


def recv_all(conn, n):
    data = b''
    while len(data) < n:  # recv may return less than asked
        chunk = conn.recv(min(1024, n - len(data)))
        if not chunk:
            raise ConnectionError('connection closed')
        data += chunk
    return data


def recv(conn):
    head_len = struct.unpack('i', recv_all(conn, 4))[0]
    head_dic = json.loads(recv_all(conn, head_len).decode('utf-8'))
    return head_dic, recv_all(conn, head_dic['data_size'])


def send(conn, head_dic, data=b''):
    head_dic['data_size'] = len(data)
    head_bytes = json.dumps(head_dic).encode('utf-8')
    conn.sendall(struct.pack('i', len(head_bytes)) + head_bytes + data)


host, port = (sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1:8080').rsplit(':', 1)
phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.connect((host, int(port)))
try:
    user, password = input('user: ').strip(), input('password: ').strip()
    send(phone, {'user': user, 'password': hashlib.md5(password.encode('utf-8')).hexdigest()})
    head, _ = recv(phone)
    if not head['ok']:
        print('login failed')
        sys.exit(1)
    print('login ok')
    while True:  # 通信循环
        cmd = input('>> :').split()
        if len(cmd) != 2:
            continue
        name, data = cmd[1], b''
        if cmd[0] == 'put':
            with open(name, 'rb') as f:
                data = f.read()
        send(phone, {'cmd': cmd[0], 'filename': name, 'md5': hashlib.md5(data).hexdigest()}, data)
        head, got = recv(phone)
        if not head['ok']:
            print(cmd[0], name, 'failed:', head['error'])
        elif cmd[0] == 'get' and hashlib.md5(got).hexdigest() != head['md5']:  # 保证文件一致性
            print('get', name, 'failed: md5 mismatch')
        elif cmd[0] == 'get':
            with open(name, 'wb') as f:
                f.write(got)
            print('get', name, len(got), 'bytes, md5', head['md5'], 'ok')
        else:
            print('put', name, len(data), 'bytes, md5', head['md5'], 'ok')
except EOFError:
    pass
phone.close()
