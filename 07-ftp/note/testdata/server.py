# The note's FTP homework as a student writes it first, in Python: the
# server. A thread per client (socketserver.ThreadingTCPServer), messages
# framed as in the note: struct.pack('i', len(head)) + JSON head + data.
# Usage: python3 server.py [HOST:PORT]   (default 127.0.0.1:8080)
import hashlib
import json
import os
import socketserver
import struct
import sys

users = {'alice': hashlib.md5(b'alice123').hexdigest(), 'bob': hashlib.md5(b'bob123').hexdigest()}


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


class FtpServer(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        head, _ = recv(conn)
        if users.get(head.get('user')) != head.get('password'):
            send(conn, {'ok': False, 'error': 'login failed'})
            return
        home = os.path.join('home', head['user'])  # 每个用户有自己的家目录
        os.makedirs(home, exist_ok=True)
        send(conn, {'ok': True})
        while True:  # 通信循环
            try:
                head, data = recv(conn)
            except (ConnectionError, struct.error):
                break
            path = os.path.join(home, os.path.basename(head['filename']))
            if head['cmd'] == 'put':
                if hashlib.md5(data).hexdigest() != head['md5']:  # 保证文件一致性
                    send(conn, {'ok': False, 'error': 'md5 mismatch: not stored'})
                    continue
                with open(path, 'wb') as f:
                    f.write(data)
                send(conn, {'ok': True, 'md5': head['md5']})
            elif os.path.isfile(path):
                with open(path, 'rb') as f:
                    data = f.read()
                send(conn, {'ok': True, 'md5': hashlib.md5(data).hexdigest()}, data)
            else:
                send(conn, {'ok': False, 'error': 'no such file'})


if __name__ == '__main__':
    host, port = (sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1:8080').rsplit(':', 1)
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer((host, int(port)), FtpServer)
    print('start.....', '%s:%d' % server.server_address, flush=True)
    server.serve_forever()  # 链接循环
