"""Checks mpower_sealing.py against docs/sealed-envelope-vectors.json: the
same fixed inputs give the same associated data, data key id, ciphertext,
signed bytes and signature; the vectors' envelope opens for each recipient;
and each envelope that must not open does not.

    /usr/bin/python3 examples/python/check_vectors.py docs/sealed-envelope-vectors.json
"""

import json
import sys

from nacl import bindings as sodium

import mpower_sealing as sealing


def main():
    vectors = json.load(open(sys.argv[1]))
    alert = vectors["alert"]
    details = bytes.fromhex(vectors["details_hex"])
    signing_public, signing_secret = sodium.crypto_sign_seed_keypair(
        bytes.fromhex(vectors["signer"]["signing_seed_hex"]))
    assert signing_public.hex() == vectors["signer"]["signing_public_key_hex"]
    recipients = []
    for r in vectors["recipients"]:
        public, secret = sodium.crypto_box_seed_keypair(bytes.fromhex(r["sealing_seed_hex"]))
        assert public.hex() == r["sealing_public_key_hex"], r["key"]
        recipients.append({"key": r["key"], "sealing_public_key": public,
                           "sealing_secret_key": secret})

    env = sealing.seal(alert, details, recipients, vectors["signer"]["key"], signing_secret,
                       data_key=bytes.fromhex(vectors["data_key_hex"]),
                       nonce=bytes.fromhex(vectors["nonce_hex"]))
    expected = vectors["expected"]
    names = sorted(r["key"] for r in recipients)
    checks = {
        "associated_data_hex": sealing.associated_data(alert, names),
        "data_key_id_hex": env["data_key_id"],
        "ciphertext_hex": env["ciphertext"],
        "signed_bytes_hex": sealing.signed_bytes(alert, env),
        "signature_hex": env["signature"],
    }
    for field, value in checks.items():
        if value.hex() != expected[field]:
            sys.exit(f"vectors: {field} differs")
    print(f"vectors: the same {len(checks)} byte strings as docs/sealed-envelope-vectors.json")

    kept = sealing.from_proto_json(vectors["envelope"])
    for r in recipients:
        opened = sealing.open_envelope(alert, kept, signing_public, r["key"],
                                       r["sealing_public_key"], r["sealing_secret_key"])
        if opened != details:
            sys.exit(f"vectors: the envelope opened for {r['key']} to other details")
    print(f"vectors: the envelope opens for each of its {len(recipients)} recipients")

    for case in vectors["must_not_open"]:
        env = sealing.from_proto_json(case["envelope"])
        r = recipients[0]
        try:
            sealing.open_envelope(case["alert"], env, signing_public, r["key"],
                                  r["sealing_public_key"], r["sealing_secret_key"])
        except sealing.EnvelopeError:
            continue
        sys.exit(f"vectors: an envelope opened that must not: {case['why']}")
    print(f"vectors: none of the {len(vectors['must_not_open'])} that must not open does")


if __name__ == "__main__":
    main()
