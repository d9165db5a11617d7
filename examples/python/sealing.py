"""End-to-end sealing from Python, interchangeable with mpower's CLI: it
reads and writes the CLI's key files, opens what the CLI sealed, and seals
what the CLI opens (docs/sealed-envelope.md; README, "End-to-end sealing").

    sealing.sh publish partners/P KEY_ID KEY_DIR   make and publish a key
    sealing.sh open alerts/A KEY_DIR               open an alert's details
    sealing.sh seal alerts/A KEY_DIR NAME TEXT     seal new details to it

It reads MPOWER_ADDRESS and MPOWER_TOKEN. A real integration also pins
partners' keys on first use, as the CLI does (client/key_pins.cc); this
example checks each key's proof and fingerprint, and that the signer is the
filing partner's, but trusts the server's word on which keys exist.
"""

import os
import sys

sys.path.insert(0, os.environ.get("MPOWER_PYTHON_GEN",
                                  os.path.join(os.path.dirname(__file__), "gen")))

import grpc  # noqa: E402
from google.protobuf import field_mask_pb2  # noqa: E402
from mpower.v1 import alert_pb2, alert_pb2_grpc  # noqa: E402
from mpower.v1 import encryption_key_pb2, encryption_key_pb2_grpc  # noqa: E402
from mpower.v1 import partner_pb2, partner_pb2_grpc  # noqa: E402

import mpower_sealing as sealing  # noqa: E402

DEADLINE_SECONDS = 10
ACTIVE = encryption_key_pb2.EncryptionKey.STATE_ACTIVE


class Client:
    def __init__(self):
        channel = grpc.insecure_channel(os.environ["MPOWER_ADDRESS"])
        self.auth = [("authorization", f"Bearer {os.environ['MPOWER_TOKEN']}")]
        self.alerts = alert_pb2_grpc.AlertServiceStub(channel)
        self.keys = encryption_key_pb2_grpc.EncryptionKeyServiceStub(channel)
        self.partners = partner_pb2_grpc.PartnerServiceStub(channel)

    def call(self, method, request):
        return method(request, metadata=self.auth, timeout=DEADLINE_SECONDS)

    def alert(self, name):
        alert = self.call(self.alerts.GetAlert, alert_pb2.GetAlertRequest(name=name)).alert
        if alert.name != name:
            sys.exit(f"the server answered for {name} with another alert")
        return alert

    def checked_key(self, key, partner):
        """`key`, if its proof binds it to `partner` and its fingerprint is its own."""
        if not key.name.startswith(partner + "/encryptionKeys/"):
            sys.exit(f"{key.name} is not a key of {partner}")
        if not sealing.proof_verifies(partner, key.sealing_public_key, key.signing_public_key,
                                      key.proof_of_possession):
            sys.exit(f"{key.name}: its proof of possession does not verify for {partner}")
        if sealing.fingerprint(key.sealing_public_key, key.signing_public_key) != key.fingerprint:
            sys.exit(f"{key.name}: the server's fingerprint is not that of its keys")
        return key

    def active_keys(self, partner):
        request = encryption_key_pb2.ListEncryptionKeysRequest(
            parent=partner, filter="state = STATE_ACTIVE", page_size=1000)
        keys = []
        while True:
            page = self.call(self.keys.ListEncryptionKeys, request)
            keys += [self.checked_key(k, partner) for k in page.encryption_keys
                     if k.state == ACTIVE]
            if not page.next_page_token:
                return keys
            request.page_token = page.next_page_token

    def secretariat(self):
        page = self.call(self.partners.ListPartners, partner_pb2.ListPartnersRequest(
            filter="type = TYPE_SECRETARIAT", page_size=1000))
        return [p.name for p in page.partners]


def publish(client, partner, key_id, key_dir):
    sealing_public, sealing_secret, signing_public, signing_secret = sealing.new_key_pair()
    key = encryption_key_pb2.EncryptionKey(
        display_name="Python example", sealing_public_key=sealing_public,
        signing_public_key=signing_public,
        proof_of_possession=sealing.proof_of_possession(partner, sealing_public, signing_public,
                                                        signing_secret))
    published = client.call(client.keys.CreateEncryptionKey,
                            encryption_key_pb2.CreateEncryptionKeyRequest(
                                parent=partner, encryption_key_id=key_id,
                                encryption_key=key)).encryption_key
    sealing.write_key_file(key_dir, published.name, sealing_public, sealing_secret,
                           signing_public, signing_secret)
    print(f"published {published.name}, fingerprint {published.fingerprint}")


def open_details(client, name, key_dir):
    alert = client.alert(name)
    if not alert.protected_details.HasField("sealed"):
        sys.exit(f"{name} has no sealed details for this caller")
    env = sealing.from_proto(alert.protected_details.sealed)
    signer_partner = env["signing_key"].rsplit("/encryptionKeys/", 1)[0]
    if signer_partner != alert.filing_partner and signer_partner not in client.secretariat():
        sys.exit(f"{name}: signed by {env['signing_key']}, neither the filer's nor a recovery key")
    signer = client.checked_key(client.call(client.keys.GetEncryptionKey,
                                            encryption_key_pb2.GetEncryptionKeyRequest(
                                                name=env["signing_key"])).encryption_key,
                                signer_partner)
    for wrap in env["wraps"]:
        held = sealing.read_key_file(key_dir, wrap["key"])
        if held is None:
            continue
        details = alert_pb2.AlertProtectedDetails.FromString(sealing.open_envelope(
            name, env, signer.signing_public_key, wrap["key"], held["sealing_public_key"],
            held["sealing_secret_key"]))
        people = ", ".join(p.full_name for p in details.people)
        print(f"opened {name} with {wrap['key']}, sealed by {env['signing_key']}: "
              f"people: {people}; narrative: {details.narrative}")
        return
    sys.exit(f"no key in {key_dir} opens {name}")


def seal_details(client, name, key_dir, full_name, narrative):
    alert = client.alert(name)
    entitled = [alert.filing_partner] + list(alert.recipient_partners)
    # The secretariat's recovery keys too, when it has published any.
    partners = entitled + [p for p in client.secretariat() if p not in entitled]
    recipients = []
    for partner in partners:
        keys = client.active_keys(partner)
        if not keys and partner in entitled:
            sys.exit(f"{partner} has published no ACTIVE key to seal to")
        recipients += [{"key": k.name, "sealing_public_key": k.sealing_public_key} for k in keys]
    signer = next(((r["key"], held) for r in recipients
                   if r["key"].startswith(alert.filing_partner + "/")
                   for held in [sealing.read_key_file(key_dir, r["key"])] if held), None)
    if signer is None:
        sys.exit(f"{key_dir} holds no ACTIVE key of {alert.filing_partner} to sign with")
    details = alert_pb2.AlertProtectedDetails(narrative=narrative)
    details.people.add(full_name=full_name)
    env = sealing.seal(name, details.SerializeToString(), recipients, signer[0],
                       signer[1]["signing_secret_key"])
    patch = alert_pb2.Alert(name=name, etag=alert.etag)
    sealing.to_proto(env, patch.protected_details.sealed)
    client.call(client.alerts.UpdateAlert, alert_pb2.UpdateAlertRequest(
        alert=patch, update_mask=field_mask_pb2.FieldMask(paths=["protected_details"])))
    print(f"sealed {name} to {len(recipients)} keys, signed with {signer[0]}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    client = Client()
    command, args = sys.argv[1], sys.argv[2:]
    if command == "publish" and len(args) == 3:
        publish(client, *args)
    elif command == "open" and len(args) == 2:
        open_details(client, *args)
    elif command == "seal" and len(args) == 4:
        seal_details(client, *args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
