#!/usr/bin/python3
"""Writes docs/sealed-envelope-vectors.json: the test vectors of the sealed
envelope, format 1 (docs/sealed-envelope.md).

It seals with PyNaCl (Debian's python3-nacl), not with mpower's own C++, so
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
import struct
import sys

from nacl import bindings as sodium

CONTEXT = b"mpower-sealed-envelope-v1"
DATA_KEY_ID_CONTEXT = b"mpower-data-key-id-v1"
PADDING_BLOCK = 512

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


def key_list(names):
    return struct.pack(">I", len(names)) + b"".join(n.encode() + b"\0" for n in names)


def associated_data(alert, names):
    return CONTEXT + b"\0" + alert.encode() + b"\0" + key_list(names)


def signed_bytes(alert, env):
    return (CONTEXT + b"\0" + alert.encode() + b"\0" + env["signing_key"].encode() + b"\0" +
            struct.pack(">I", env["format_version"]) + env["nonce"] + env["data_key_id"] +
            key_list(env["recipient_keys"]) + env["ciphertext"])


def data_key_id(data_key):
    return sodium.crypto_generichash_blake2b_salt_personal(DATA_KEY_ID_CONTEXT, digest_size=32,
                                                           key=data_key)


def seal(alert, details, data_key, nonce, recipients, signer_key, signing_secret):
    names = sorted(r["key"] for r in recipients)
    padded = sodium.sodium_pad(details, PADDING_BLOCK)
    env = {
        "format_version": 1,
        "signing_key": signer_key,
        "nonce": nonce,
        "ciphertext": sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            padded, associated_data(alert, names), nonce, data_key),
        "data_key_id": data_key_id(data_key),
        "recipient_keys": names,
        "wraps": [{"key": r["key"],
                   "sealed_data_key": sodium.crypto_box_seal(data_key, r["sealing_public_key"])}
                  for r in sorted(recipients, key=lambda r: r["key"])],
    }
    env["signature"] = sodium.crypto_sign(signed_bytes(alert, env), signing_secret)[:64]
    return env


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
    env = seal(ALERT, DETAILS, DATA_KEY, NONCE, RECIPIENTS, SIGNER["key"], signing_secret)

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
