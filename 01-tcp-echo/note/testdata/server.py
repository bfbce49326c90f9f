# The note's TCP server (基于tcp的服务端), with its quote marks restored. Two
# things differ so that a test can run it: the port comes from the command
# line (0 picks a free one; without an argument it is the note's 8080), and
# 'start.....' is followed by the address it got.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
phone.bind(('127.0.0.1', port))
phone.listen(5)

print('start.....', '%s:%d' % phone.getsockname())
while True:  # 链接循环
    conn, addr = phone.accept()  # 等待电话链接
    print('电话线路是', conn)
    print('客户端手机号', addr)
    while True:  # 通信循环
        try:  # 应对windows系统
            data = conn.recv(1024)
            if not data: break  # 应对linux系统
            print('客户端发来的消息', data.decode('utf8'))
            s = input('....')
            conn.send(s.encode('utf8'))
        except Exception:
            break
    conn.close()
phone.close()
