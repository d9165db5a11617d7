#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for mpower's email tests: aiosmtpd,
STARTTLS required. Writes each message it accepts to OUTDIR as NNNN.eml,
first line `X-Test-TLS: yes|no`, and prints `port N` once it listens.

usage: smtp_receiver.py CERT KEY OUTDIR
"""
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class SaveMessages:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.outdir, "%04d.eml" % self.count)
        tls = b"yes" if session.ssl is not None else b"no"
        with open(path + ".tmp", "wb") as out:
            out.write(b"X-Test-TLS: " + tls + b"\r\n")
            out.write(b"X-Test-Rcpt: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    cert, key, outdir = sys.argv[1:4]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    controller = Controller(SaveMessages(outdir), hostname="127.0.0.1", port=port,
                            tls_context=context, require_starttls=True)
    controller.start()
    print("port %d" % port, flush=True)
    # The test stops it; a bound keeps a forgotten one from living on.
    time.sleep(600)
    controller.stop()


if __name__ == "__main__":
    main()
