#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Many concurrent TCP connections, each moving data both ways.

  many_conns.py serve HOST PORT
      echo server: every connection gets back what it sent, until EOF
  many_conns.py client HOST PORT COUNT SIZE [TIMEOUT [no-half-close]]
      open COUNT connections (all open before any sends), send SIZE random
      bytes on each, half-close, read the echo back and compare. Prints
      "N ok, N failed"; exits non-zero unless all succeeded.
      no-half-close: read exactly SIZE bytes back before closing, for
      relays that end a tunnel at the first EOF (tinyproxy does).

Used by tests/e2e/tcp.bats: 1,000 concurrent connections moving 1 MiB,
and tests/e2e/proxy_load.bats: 200 through each proxy.
"""
import asyncio
import hashlib
import os
import resource
import sys


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.write_eof()
        await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def serve(host, port):
    raise_nofile()
    server = await asyncio.start_server(echo, host, int(port), backlog=4096)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


async def one(host, port, size, sem, state, half_close):
    async with sem:
        reader, writer = await asyncio.open_connection(host, port)
    state["opened"] += 1
    if state["opened"] == state["count"]:
        state["all_open"].set()
    await state["all_open"].wait()  # all connections open at once
    data = os.urandom(size)
    try:
        async def send():
            writer.write(data)
            await writer.drain()
            if half_close:
                writer.write_eof()

        sender = asyncio.ensure_future(send())
        if half_close:
            got = await reader.read()
        else:
            try:
                got = await reader.readexactly(size)
            except asyncio.IncompleteReadError as e:
                got = e.partial
        await sender
    finally:
        writer.close()
    if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
        raise RuntimeError(f"echo differs ({len(got)} of {size} bytes)")


async def client(host, port, count, size, timeout, half_close):
    raise_nofile()
    state = {"opened": 0, "count": count, "all_open": asyncio.Event()}
    sem = asyncio.Semaphore(200)  # connect in waves: no backlog overflow
    tasks = [one(host, port, size, sem, state, half_close)
             for _ in range(count)]
    res = await asyncio.wait_for(
        asyncio.gather(*tasks, return_exceptions=True), timeout)
    bad = [r for r in res if isinstance(r, BaseException)]
    for r in bad[:5]:
        print("error:", repr(r), file=sys.stderr)
    print(f"{len(res) - len(bad)} ok, {len(bad)} failed")
    return 0 if not bad else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3]))
        return 0
    if (len(sys.argv) in (6, 7) or
            len(sys.argv) == 8 and sys.argv[7] == "no-half-close") and \
            sys.argv[1] == "client":
        timeout = float(sys.argv[6]) if len(sys.argv) >= 7 else 120
        return asyncio.run(client(sys.argv[2], int(sys.argv[3]),
                                  int(sys.argv[4]), int(sys.argv[5]),
                                  timeout, len(sys.argv) != 8))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
