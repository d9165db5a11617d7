"""The integrator's scenario, in Python: authenticate, page through partners,
sync a partner's commitments, watch the change feed from the sync's revision
and see a new alert arrive, and read the field a validation error names.

Run it with ./run.sh; it reads MPOWER_ADDRESS and MPOWER_TOKEN.
"""

import os
import sys
import threading

sys.path.insert(0, os.environ.get("MPOWER_PYTHON_GEN",
                                  os.path.join(os.path.dirname(__file__), "gen")))

import grpc  # noqa: E402
from mpower.v1 import alert_pb2, change_pb2, change_pb2_grpc  # noqa: E402
from mpower.v1 import alert_pb2_grpc, commitment_pb2, commitment_pb2_grpc  # noqa: E402
from mpower.v1 import common_pb2, partner_pb2, partner_pb2_grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402

DEADLINE_SECONDS = 10


def fail(message):
    print(f"scenario failed: {message}")
    sys.exit(1)


def main():
    address = os.environ["MPOWER_ADDRESS"]
    token = os.environ["MPOWER_TOKEN"]
    # Several replicas ("ipv4:host:port,host:port,..."): balance over all.
    options = [("grpc.lb_policy_name", "round_robin")] if "," in address else []
    channel = grpc.insecure_channel(address, options=options)
    auth = [("authorization", f"Bearer {token}")]
    partners = partner_pb2_grpc.PartnerServiceStub(channel)

    # 1. Without credentials the server refuses; with the token it answers.
    try:
        partners.ListPartners(partner_pb2.ListPartnersRequest(), timeout=DEADLINE_SECONDS)
        fail("an unauthenticated call succeeded")
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNAUTHENTICATED:
            fail(f"expected UNAUTHENTICATED, got {error.code()}")
    print("unauthenticated call refused: UNAUTHENTICATED")

    # 2. Page through every partner, two at a time.
    names, pages, token_ = [], 0, ""
    while True:
        page = partners.ListPartners(
            partner_pb2.ListPartnersRequest(page_size=2, page_token=token_),
            metadata=auth, timeout=DEADLINE_SECONDS)
        pages += 1
        names.extend(p.name for p in page.partners)
        token_ = page.next_page_token
        if not token_:
            break
    if "partners/ilo" not in names:
        fail("partners/ilo is not among the partners")
    print(f"authenticated; partners: {len(names)} over {pages} pages")

    # 3. Sync two of a partner's commitments, keyed by its own ids.
    commitments = commitment_pb2_grpc.CommitmentServiceStub(channel)
    chunk = commitment_pb2.SyncCommitmentsRequest(parent="partners/us-dol")
    for external_id, units in (("PY-GRANT-1", 1_000_000), ("PY-GRANT-2", 2_500_000)):
        chunk.commitments.add(
            external_id=external_id,
            kind=commitment_pb2.Commitment.KIND_FUNDING,
            title=f"Example grant {external_id}",
            amount=common_pb2.Money(currency_code="USD", units=units),
            contribution_basis=commitment_pb2.Commitment.CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED,
            recipient_partner="partners/ilo")
    summary = None
    for response in commitments.SyncCommitments(
            iter([chunk]), metadata=auth, timeout=DEADLINE_SECONDS):
        if response.HasField("summary"):
            summary = response.summary
    if summary is None or not summary.applied or summary.created + summary.unchanged != 2:
        fail(f"unexpected sync summary: {summary}")
    print(f"sync partners/us-dol: {summary.created} created, {summary.updated} updated, "
          f"{summary.unchanged} unchanged at revision {summary.revision}")

    # 4. Watch alerts after that revision, file one, and see it arrive.
    changes = change_pb2_grpc.ChangeServiceStub(channel)
    watch = changes.WatchChanges(
        change_pb2.WatchChangesRequest(
            after_revision=summary.revision,
            filter=change_pb2.ChangeFilter(collections=["alerts"])),
        metadata=auth, timeout=30)
    alerts = alert_pb2_grpc.AlertServiceStub(channel)
    alert = alert_pb2.Alert(
        filing_partner="partners/example-union",
        category=alert_pb2.Alert.CATEGORY_THREAT_OF_VIOLENCE,
        severity=alert_pb2.Alert.SEVERITY_SEVERE,
        urgency=alert_pb2.Alert.URGENCY_IMMEDIATE,
        certainty=alert_pb2.Alert.CERTAINTY_LIKELY,
        country_code="ID",
        headline="EXAMPLE: organisers threatened (Python scenario)")
    filed = alerts.CreateAlert(
        alert_pb2.CreateAlertRequest(alert=alert, request_id="python-scenario-alert"),
        metadata=auth, timeout=DEADLINE_SECONDS).alert
    print(f"filed {filed.name}")
    seen = None
    for message in watch:
        for change in message.changes:
            if change.name == filed.name:
                seen = change
        if seen is not None:
            break
    watch.cancel()
    if seen is None:
        fail("the watch ended without the alert")
    print(f"watch saw {seen.name} at revision {seen.revision}")

    # 5. An invalid alert: INVALID_ARGUMENT naming the field.
    alert.country_code = "XX"
    try:
        alerts.CreateAlert(alert_pb2.CreateAlertRequest(alert=alert),
                           metadata=auth, timeout=DEADLINE_SECONDS)
        fail("an invalid alert was accepted")
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
            fail(f"expected INVALID_ARGUMENT, got {error.code()}")
        if "alert.country_code" not in error.details():
            fail(f"the error does not name the field: {error.details()}")
        print(f"validation error INVALID_ARGUMENT names alert.country_code: {error.details()}")
        # The same as data: google.rpc.Status in the grpc-status-details-bin
        # trailer, its details holding a google.rpc.BadRequest.
        for key, value in error.trailing_metadata() or ():
            if key != "grpc-status-details-bin":
                continue
            rich = status_pb2.Status.FromString(value)
            for detail in rich.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad_request = error_details_pb2.BadRequest()
                    detail.Unpack(bad_request)
                    for violation in bad_request.field_violations:
                        print(f"field violation: {violation.field}: {violation.description}")
    print("scenario passed")


if __name__ == "__main__":
    main()
