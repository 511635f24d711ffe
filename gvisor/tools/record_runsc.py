#!/usr/bin/env python3
"""record_runsc.py — records real runsc monitoring traffic for tests and fuzzing.

Usage: record_runsc.py SOCKET OUT_STREAM [CORPUS_DIR]

Listens on SOCKET (unix SOCK_SEQPACKET), accepts one sandbox, answers its
handshake with version 1, then stores every packet as received: OUT_STREAM
gets a u32 little-endian length before each packet; CORPUS_DIR (optional)
gets one file per distinct message type and size bucket, as fuzzer seeds.
Stops when the sandbox disconnects.
"""
import os
import socket
import struct
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    corpus = sys.argv[3] if len(sys.argv) > 3 else None
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    os.chmod(path, 0o660)
    srv.listen(1)
    srv.settimeout(120)
    conn, _ = srv.accept()
    hs = conn.recv(1024)
    conn.send(b"\x08\x01")  # Handshake{version: 1}
    seen = set()
    n = 0
    with open(out, "wb") as f:
        while True:
            pkt = conn.recv(1 << 20)
            if not pkt:
                break
            f.write(struct.pack("<I", len(pkt)) + pkt)
            n += 1
            if corpus and len(pkt) >= 8:
                mtype = struct.unpack_from("<H", pkt, 2)[0]
                key = (mtype, len(pkt) // 64)
                if key not in seen:
                    seen.add(key)
                    with open(os.path.join(corpus, "runsc_t%02d_%d" % (mtype, len(seen))), "wb") as c:
                        c.write(pkt)
    print("handshake %s, %d packets" % (hs.hex(), n))


if __name__ == "__main__":
    main()
