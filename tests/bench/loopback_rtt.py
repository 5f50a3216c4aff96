#!/usr/bin/env python3
"""The floor under any proxy hop on this machine: the round trip of 50 bytes over loopback
TCP between two processes (a forked echo), 20,000 times. Prints p50 and p90 in µs."""
import os
import socket
import time

N = 20000
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
port = server.getsockname()[1]
child = os.fork()
if child == 0:
    conn, _ = server.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        data = conn.recv(100)
        if not data:
            os._exit(0)
        conn.sendall(data)
client = socket.create_connection(("127.0.0.1", port))
client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
times = []
for _ in range(N):
    start = time.perf_counter_ns()
    client.sendall(b"x" * 50)
    client.recv(100)
    times.append(time.perf_counter_ns() - start)
client.close()
os.waitpid(child, 0)
times.sort()
print(f"loopback TCP round trip between two processes: p50 {times[N // 2] / 1000:.0f} us, "
      f"p90 {times[N * 9 // 10] / 1000:.0f} us ({N} round trips)")
