#!/usr/bin/python3
"""Writes docs/sealed-envelope-vectors.json: the test vectors of the sealed
envelope, format 1 (docs/sealed-envelope.md).

It seals with PyNaCl (Debian's python3-nacl), through the Python example's
examples/python/mpower_sealing.py, not with mpower's own C++, so
that the vectors check mpower against a second implementation of the
format. Every key and the data key and nonce come from fixed seeds, so the
associated data, data key id, ciphertext and signature are the same on
every run; the wraps are not (a sealed box draws its own ephemeral key), so
the complete envelope is written once and kept: rerun this only to change
the format, and then every client's check must change with it.

    /usr/bin/python3 docs/make-envelope-vectors.py > docs/sealed-envelope-vectors.json
"""

import base64
import json
import os
import sys

from nacl import bindings as sodium

# The format itself lives with the Python example, which integrators copy.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                                "python"))
from mpower_sealing import associated_data, seal, signed_bytes  # noqa: E402

ALERT = "alerts/test-vector-1"
# An AlertProtectedDetails, serialized: one person, "Test Vector Person",
# "branch secretary", and the narrative "Sealed on the filer's machine."
# (protoc --encode=mpower.v1.AlertProtectedDetails gives the same bytes).
DETAILS = (b"\x0a\x26\x0a\x12Test Vector Person\x12\x10branch secretary"
           b"\x22\x1eSealed on the filer's machine.")
DATA_KEY = bytes(range(0x40, 0x60))
NONCE = bytes(range(0x80, 0x98))

SIGNER = {"key": "partners/example-union/encryptionKeys/organising-desk",
          "signing_seed": bytes([0x11]) * 32}
RECIPIENTS = [
    {"key": "partners/example-union/encryptionKeys/organising-desk",
     "sealing_seed": bytes([0x21]) * 32},
    {"key": "partners/ilo/encryptionKeys/geneva-desk",
     "sealing_seed": bytes([0x22]) * 32},
]


def b64(data):
    return base64.b64encode(data).decode()


def as_proto_json(env):
    """The envelope as proto3 JSON maps it: bytes in base64, names camelCase."""
    return {
        "formatVersion": env["format_version"],
        "signingKey": env["signing_key"],
        "nonce": b64(env["nonce"]),
        "ciphertext": b64(env["ciphertext"]),
        "dataKeyId": b64(env["data_key_id"]),
        "recipientKeys": env["recipient_keys"],
        "wraps": [{"key": w["key"], "sealedDataKey": b64(w["sealed_data_key"])}
                  for w in env["wraps"]],
        "signature": b64(env["signature"]),
    }


def main():
    signing_public, signing_secret = sodium.crypto_sign_seed_keypair(SIGNER["signing_seed"])
    for r in RECIPIENTS:
        r["sealing_public_key"], r["sealing_secret_key"] = sodium.crypto_box_seed_keypair(
            r["sealing_seed"])
    names = sorted(r["key"] for r in RECIPIENTS)
    env = seal(ALERT, DETAILS, RECIPIENTS, SIGNER["key"], signing_secret, data_key=DATA_KEY,
               nonce=NONCE)

    # Envelopes that must not open, each for its own reason.
    flipped = dict(env, ciphertext=env["ciphertext"][:-1] + bytes([env["ciphertext"][-1] ^ 1]))
    fewer_keys = dict(env, recipient_keys=names[:1], wraps=env["wraps"][:1])
    # Re-signed by the right key, but the wrap holds another data key: only
    # the data key id catches it.
    other_key = bytes(range(0x60, 0x80))
    swapped = dict(env)
    swapped["wraps"] = [{"key": w["key"],
                         "sealed_data_key": sodium.crypto_box_seal(
                             other_key, next(r["sealing_public_key"] for r in RECIPIENTS
                                             if r["key"] == w["key"]))}
                        for w in env["wraps"]]
    other_signer_public, other_signer_secret = sodium.crypto_sign_seed_keypair(bytes([0x12]) * 32)
    by_other = dict(env)
    by_other["signature"] = sodium.crypto_sign(signed_bytes(ALERT, env), other_signer_secret)[:64]

    vectors = {
        "comment": "docs/sealed-envelope.md explains every field; bytes are hex, except in "
                   "the envelopes, which are proto3 JSON (bytes in base64).",
        "alert": ALERT,
        "details_hex": DETAILS.hex(),
        "data_key_hex": DATA_KEY.hex(),
        "nonce_hex": NONCE.hex(),
        "signer": {"key": SIGNER["key"], "signing_seed_hex": SIGNER["signing_seed"].hex(),
                   "signing_public_key_hex": signing_public.hex()},
        "recipients": [{"key": r["key"], "sealing_seed_hex": r["sealing_seed"].hex(),
                        "sealing_public_key_hex": r["sealing_public_key"].hex(),
                        "sealing_secret_key_hex": r["sealing_secret_key"].hex()}
                       for r in RECIPIENTS],
        "expected": {
            "associated_data_hex": associated_data(ALERT, names).hex(),
            "data_key_id_hex": env["data_key_id"].hex(),
            "ciphertext_hex": env["ciphertext"].hex(),
            "signed_bytes_hex": signed_bytes(ALERT, env).hex(),
            "signature_hex": env["signature"].hex(),
        },
        "envelope": as_proto_json(env),
        "must_not_open": [
            {"why": "a ciphertext byte changed after signing", "alert": ALERT,
             "envelope": as_proto_json(flipped)},
            {"why": "recipient keys and wraps cut after signing", "alert": ALERT,
             "envelope": as_proto_json(fewer_keys)},
            {"why": "moved to another alert", "alert": "alerts/test-vector-2",
             "envelope": as_proto_json(env)},
            {"why": "signed by a key other than the signer's", "alert": ALERT,
             "envelope": as_proto_json(by_other)},
            {"why": "wraps swapped for ones holding another data key", "alert": ALERT,
             "envelope": as_proto_json(swapped)},
        ],
    }
    json.dump(vectors, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
