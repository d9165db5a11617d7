#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for mpower's email tests: aiosmtpd.
Writes each message it accepts to OUTDIR as NNNN.eml, first lines
`X-Test-TLS: yes|no` and `X-Test-Rcpt: ...`, and prints `port N` once it
listens.

usage: smtp_receiver.py CERT KEY OUTDIR [--no-tls] [--auth USER:PASSWORD]

By default STARTTLS is offered and required. --no-tls offers none (a relay
mpowerd must refuse to send to in plaintext); --auth requires that login
(over TLS) before any mail.
"""
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


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


class Login:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (getattr(auth_data, "login", None) == self.user and
              getattr(auth_data, "password", None) == self.password)
        return AuthResult(success=ok)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    cert, key, outdir = sys.argv[1:4]
    options = sys.argv[4:]
    settings = {}
    if "--no-tls" not in options:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        settings.update(tls_context=context, require_starttls=True)
    if "--auth" in options:
        user, password = options[options.index("--auth") + 1].split(":", 1)
        settings.update(authenticator=Login(user, password), auth_required=True,
                        auth_require_tls=True)
    port = free_port()
    controller = Controller(SaveMessages(outdir), hostname="127.0.0.1", port=port, **settings)
    controller.start()
    print("port %d" % port, flush=True)
    # The test stops it; a bound keeps a forgotten one from living on.
    time.sleep(600)
    controller.stop()


if __name__ == "__main__":
    main()
