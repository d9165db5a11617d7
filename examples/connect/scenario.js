// The integrator's scenario over HTTP/JSON, with a Connect client taken
// unchanged from npm (@connectrpc/connect-node) and messages generated from
// ../../proto by @bufbuild/protoc-gen-es: authenticate, page through
// partners, watch the change feed and see a new alert arrive, and read
// each field a validation error names from its google.rpc.BadRequest.
// (Syncing is a client stream, which HTTP/1.1 cannot carry: gRPC's alone.)
//
// Run it with ./run.sh; it reads MPOWER_HTTP_URL and MPOWER_TOKEN.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { BadRequestSchema } from "./gen/google/rpc/error_details_pb.js";
import {
  Alert_Category,
  Alert_Certainty,
  Alert_Severity,
  Alert_Urgency,
  AlertService,
} from "./gen/mpower/v1/alert_pb.js";
import { ChangeService } from "./gen/mpower/v1/change_pb.js";
import { PartnerService } from "./gen/mpower/v1/partner_pb.js";

const baseUrl = process.env.MPOWER_HTTP_URL;
const token = process.env.MPOWER_TOKEN;
const timeoutMs = 10000;

function fail(message) {
  console.log(`scenario failed: ${message}`);
  process.exit(1);
}

// The Connect protocol in JSON over HTTP/1.1, as a browser would speak it.
const anonymous = createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false });
const transport = createConnectTransport({
  baseUrl,
  httpVersion: "1.1",
  useBinaryFormat: false,
  interceptors: [
    (next) => async (request) => {
      request.header.set("Authorization", `Bearer ${token}`);
      return next(request);
    },
  ],
});

// 1. Without credentials the server refuses; with the token it answers.
try {
  await createClient(PartnerService, anonymous).listPartners({}, { timeoutMs });
  fail("an unauthenticated call succeeded");
} catch (error) {
  const code = ConnectError.from(error).code;
  if (code !== Code.Unauthenticated) fail(`expected UNAUTHENTICATED, got ${Code[code]}`);
  console.log("unauthenticated call refused: UNAUTHENTICATED");
}

// 2. Every partner, two a page.
const partners = createClient(PartnerService, transport);
let count = 0;
let pages = 0;
let pageToken = "";
do {
  const page = await partners.listPartners({ pageSize: 2, pageToken }, { timeoutMs });
  count += page.partners.length;
  pages += 1;
  pageToken = page.nextPageToken;
} while (pageToken !== "");
console.log(`authenticated; partners: ${count} over ${pages} pages`);

// 3. Watch the change feed from now, file an alert, see it arrive.
const changes = createClient(ChangeService, transport);
const now = await changes.listChanges({ afterRevision: 0n, pageSize: 1 }, { timeoutMs });
const alerts = createClient(AlertService, transport);
const watching = new AbortController();
const seen = (async () => {
  for await (const response of changes.watchChanges(
    { afterRevision: now.currentRevision, filter: { collections: ["alerts"] } },
    { signal: watching.signal },
  )) {
    for (const change of response.changes) {
      if (change.resource.case === "alert") return change;
    }
  }
  return undefined;
})();
const filed = await alerts.createAlert(
  {
    alert: {
      filingPartner: "partners/example-union",
      category: Alert_Category.OTHER,
      severity: Alert_Severity.MINOR,
      urgency: Alert_Urgency.FUTURE,
      certainty: Alert_Certainty.POSSIBLE,
      countryCode: "ID",
      headline: "Connect example: organisers threatened after a meeting",
    },
    requestId: "connect-example-alert",
  },
  { timeoutMs },
);
console.log(`filed ${filed.alert.name}`);
const timer = setTimeout(() => watching.abort(), timeoutMs);
const change = await seen;
clearTimeout(timer);
watching.abort();
if (change === undefined) fail("the watch ended without the alert");
console.log(`watch saw ${change.name} at revision ${change.revision}`);

// 4. A validation error names each bad field, as data.
try {
  await alerts.createAlert(
    {
      alert: {
        filingPartner: "partners/example-union",
        category: Alert_Category.OTHER,
        severity: Alert_Severity.MINOR,
        urgency: Alert_Urgency.FUTURE,
        certainty: Alert_Certainty.POSSIBLE,
        countryCode: "Indonesia",
        headline: "",
      },
    },
    { timeoutMs },
  );
  fail("an invalid alert was accepted");
} catch (error) {
  const connectError = ConnectError.from(error);
  if (connectError.code !== Code.InvalidArgument) fail(`expected INVALID_ARGUMENT, got ${connectError.code}`);
  const [badRequest] = connectError.findDetails(BadRequestSchema);
  if (badRequest === undefined) fail("the error carries no google.rpc.BadRequest");
  for (const violation of badRequest.fieldViolations) {
    console.log(`field violation: ${violation.field}: ${violation.description}`);
  }
}
console.log("scenario passed");
