"""mpower's sealed envelope, format 1 (docs/sealed-envelope.md), in Python
with PyNaCl (Debian's python3-nacl): what an integrator needs to seal an
alert's protected details to the partners entitled to them, and to open
them, byte for byte as mpower's own CLI does. Also the partner keys around
it: their proof of possession, their fingerprint, and the CLI's key file.

An envelope here is a dict with the fields of mpower.v1.SealedEnvelope
(bytes as bytes); to_proto and from_proto convert.
"""

import base64
import hashlib
import os
import struct

from nacl import bindings as sodium
from nacl.exceptions import CryptoError

CONTEXT = b"mpower-sealed-envelope-v1"
DATA_KEY_ID_CONTEXT = b"mpower-data-key-id-v1"
PROOF_CONTEXT = b"mpower-encryption-key-v1"
FINGERPRINT_CONTEXT = b"mpower-key-fingerprint-v1"
PADDING_BLOCK = 512
FORMAT_VERSION = 1


class EnvelopeError(Exception):
    """The envelope must not be trusted: show nothing of it."""


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


def seal(alert, details, recipients, signer_key, signing_secret, data_key=None, nonce=None):
    """Seals serialized details for `alert` to `recipients` (dicts with "key",
    the key's name, and "sealing_public_key"), signed by `signer_key` with
    its Ed25519 secret. The data key and nonce are random unless given (test
    vectors only)."""
    data_key = data_key or os.urandom(32)
    nonce = nonce or os.urandom(24)
    names = sorted(r["key"] for r in recipients)
    padded = sodium.sodium_pad(details, PADDING_BLOCK)
    env = {
        "format_version": FORMAT_VERSION,
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


def open_envelope(alert, env, signing_public_key, key_name, sealing_public, sealing_secret):
    """The details `env` holds for `alert`, opened with the key `key_name`;
    EnvelopeError if anything about it is wrong. The caller checks first that
    `signing_public_key` is the filing partner's key (or an accepted recovery
    key of the secretariat), and that the alert is the one it asked for."""
    names = list(env["recipient_keys"])
    if (env["format_version"] != FORMAT_VERSION or len(env["nonce"]) != 24 or
            len(env["data_key_id"]) != 32 or len(env["signature"]) != 64 or
            names != sorted(set(names)) or len(env["ciphertext"]) % PADDING_BLOCK != 16):
        raise EnvelopeError("malformed envelope")
    try:
        sodium.crypto_sign_open(env["signature"] + signed_bytes(alert, env), signing_public_key)
    except CryptoError:
        raise EnvelopeError("the signature does not verify for this alert") from None
    wrap = next((w for w in env["wraps"] if w["key"] == key_name), None)
    if wrap is None or key_name not in names:
        raise EnvelopeError(f"not sealed to {key_name}")
    try:
        data_key = sodium.crypto_box_seal_open(wrap["sealed_data_key"], sealing_public,
                                               sealing_secret)
    except CryptoError:
        raise EnvelopeError("the wrap does not open with this key") from None
    if data_key_id(data_key) != env["data_key_id"]:
        raise EnvelopeError("the wrap holds another data key than the one signed")
    try:
        padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            env["ciphertext"], associated_data(alert, names), env["nonce"], data_key)
        return sodium.sodium_unpad(padded, PADDING_BLOCK)
    except (CryptoError, ValueError):
        raise EnvelopeError("the ciphertext does not open") from None


def proof_of_possession(partner, sealing_public, signing_public, signing_secret):
    """EncryptionKey.proof_of_possession: the key's own signature binding both
    public keys to `partner` (partners/{id})."""
    message = PROOF_CONTEXT + b"\0" + partner.encode() + b"\0" + sealing_public + signing_public
    return sodium.crypto_sign(message, signing_secret)[:64]


def proof_verifies(partner, sealing_public, signing_public, proof):
    """Whether `proof` is the key's own signature binding both keys to `partner`."""
    message = PROOF_CONTEXT + b"\0" + partner.encode() + b"\0" + sealing_public + signing_public
    try:
        sodium.crypto_sign_open(proof + message, signing_public)
        return True
    except (CryptoError, ValueError):
        return False


def fingerprint(sealing_public, signing_public):
    """What people compare aloud: eight groups of five digits."""
    digest = hashlib.sha512(FINGERPRINT_CONTEXT + b"\0" + sealing_public + signing_public).digest()
    return " ".join(f"{int.from_bytes(digest[i * 5:i * 5 + 5], 'big') % 100000:05d}"
                     for i in range(8))


def new_key_pair():
    """A fresh key pair: (sealing public, sealing secret, signing public,
    signing secret)."""
    sealing_public, sealing_secret = sodium.crypto_box_keypair()
    signing_public, signing_secret = sodium.crypto_sign_keypair()
    return sealing_public, sealing_secret, signing_public, signing_secret


def key_file(key_dir, key_name):
    """Where mpower's CLI keeps a key's private halves:
    DIR/{partner id}/{key id}.key for partners/{partner}/encryptionKeys/{key}."""
    _, partner, _, key = key_name.split("/")
    return os.path.join(key_dir, partner, key + ".key")


def write_key_file(key_dir, key_name, sealing_public, sealing_secret, signing_public,
                   signing_secret):
    """Writes a key the way `mpower keys generate` does (not under a
    passphrase), owner-only, so that the CLI holds it too."""
    path = key_file(key_dir, key_name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    text = ("# mpower private key: never share this file; back it up offline.\n"
            f"parent = {key_name.rsplit('/encryptionKeys/', 1)[0]}\n"
            f"fingerprint = {fingerprint(sealing_public, signing_public)}\n"
            f"sealing_public_key = {b64(sealing_public)}\n"
            f"signing_public_key = {b64(signing_public)}\n"
            f"sealing_secret_key = {b64(sealing_secret)}\n"
            f"signing_secret_key = {b64(signing_secret)}\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def read_key_file(key_dir, key_name):
    """The halves of a key mpower's CLI keeps in `key_dir`, as a dict of
    bytes; None if it holds no such key (or holds it under a passphrase,
    which this example does not open)."""
    try:
        with open(key_file(key_dir, key_name)) as key:
            fields = dict(line.split(" = ", 1) for line in key.read().splitlines()
                          if " = " in line and not line.startswith("#"))
    except FileNotFoundError:
        return None
    names = ("sealing_public_key", "sealing_secret_key", "signing_public_key",
             "signing_secret_key")
    if not all(name in fields for name in names):
        return None
    return {name: base64.b64decode(fields[name]) for name in names}


def to_proto(env, message):
    """Fills `message`, a mpower.v1.SealedEnvelope, from `env`."""
    message.format_version = env["format_version"]
    message.signing_key = env["signing_key"]
    message.nonce = env["nonce"]
    message.ciphertext = env["ciphertext"]
    message.data_key_id = env["data_key_id"]
    message.recipient_keys.extend(env["recipient_keys"])
    for wrap in env["wraps"]:
        message.wraps.add(key=wrap["key"], sealed_data_key=wrap["sealed_data_key"])
    message.signature = env["signature"]
    return message


def from_proto(message):
    return {
        "format_version": message.format_version,
        "signing_key": message.signing_key,
        "nonce": message.nonce,
        "ciphertext": message.ciphertext,
        "data_key_id": message.data_key_id,
        "recipient_keys": list(message.recipient_keys),
        "wraps": [{"key": w.key, "sealed_data_key": w.sealed_data_key} for w in message.wraps],
        "signature": message.signature,
    }


def from_proto_json(envelope):
    """An envelope as proto3 JSON gives it (the test vectors' form)."""
    b = base64.b64decode
    return {
        "format_version": envelope["formatVersion"],
        "signing_key": envelope["signingKey"],
        "nonce": b(envelope["nonce"]),
        "ciphertext": b(envelope["ciphertext"]),
        "data_key_id": b(envelope["dataKeyId"]),
        "recipient_keys": envelope["recipientKeys"],
        "wraps": [{"key": w["key"], "sealed_data_key": b(w["sealedDataKey"])}
                  for w in envelope["wraps"]],
        "signature": b(envelope["signature"]),
    }
