// The integrator's scenario, in TypeScript: authenticate, page through
// partners, sync a partner's commitments, watch the change feed from the
// sync's revision and see a new alert arrive, and read the field a
// validation error names.
//
// Run it with ./run.sh; it reads MPOWER_ADDRESS and MPOWER_TOKEN.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type { ProtoGrpcType as AlertProto } from './gen/alert';
import type { ProtoGrpcType as ChangeProto } from './gen/change';
import type { ProtoGrpcType as CommitmentProto } from './gen/commitment';
import type { ProtoGrpcType as PartnerProto } from './gen/partner';
import type { Alert } from './gen/mpower/v1/Alert';
import type { CreateAlertResponse__Output } from './gen/mpower/v1/CreateAlertResponse';
import type { ListPartnersResponse__Output } from './gen/mpower/v1/ListPartnersResponse';
import type { SyncCommitmentsResponse__Output } from './gen/mpower/v1/SyncCommitmentsResponse';
import type { SyncSummary__Output } from './gen/mpower/v1/SyncSummary';
import type { WatchChangesResponse__Output } from './gen/mpower/v1/WatchChangesResponse';

const DEADLINE_MS = 10_000;

// googleapis' own protos, from npm (google-proto-files, in package.json):
// google.rpc's Status and error details, and the google.api route
// annotations mpower's protos import.
const googleapis = path.dirname(require.resolve('google-proto-files/package.json'));
const rpcTypes = protobuf.loadSync(
  ['google/rpc/status.proto', 'google/rpc/error_details.proto'].map((file) => path.join(googleapis, file)),
);

function fail(message: string): never {
  console.log(`scenario failed: ${message}`);
  process.exit(1);
}

function deadline(ms = DEADLINE_MS): grpc.CallOptions {
  return { deadline: Date.now() + ms };
}

// Starts a unary call with the callback given; resolves with the response
// or rejects with the gRPC error.
function unary<Res>(start: (callback: grpc.requestCallback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) =>
    start((error, response) => (error ? reject(error) : resolve(response as Res))),
  );
}

async function main(): Promise<void> {
  const protoDir = path.join(__dirname, '..', '..', '..', 'proto');
  const definition = protoLoader.loadSync(
    ['alert', 'change', 'commitment', 'partner'].map((name) => `mpower/v1/${name}.proto`),
    { includeDirs: [protoDir, googleapis], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  const proto = grpc.loadPackageDefinition(definition) as unknown as AlertProto &
    ChangeProto & CommitmentProto & PartnerProto;
  const v1 = proto.mpower.v1;
  const address = process.env.MPOWER_ADDRESS ?? fail('set MPOWER_ADDRESS');
  const credentials = grpc.credentials.createInsecure();
  const auth = new grpc.Metadata();
  auth.set('authorization', `Bearer ${process.env.MPOWER_TOKEN ?? fail('set MPOWER_TOKEN')}`);
  const partners = new v1.PartnerService(address, credentials);

  // 1. Without credentials the server refuses; with the token it answers.
  try {
    await unary<ListPartnersResponse__Output>((done) =>
      partners.ListPartners({}, new grpc.Metadata(), deadline(), done),
    );
    fail('an unauthenticated call succeeded');
  } catch (error) {
    const code = (error as grpc.ServiceError).code;
    if (code !== grpc.status.UNAUTHENTICATED) fail(`expected UNAUTHENTICATED, got ${code}`);
  }
  console.log('unauthenticated call refused: UNAUTHENTICATED');

  // 2. Page through every partner, two at a time.
  const names: string[] = [];
  let pages = 0;
  let page_token = '';
  do {
    const page = await unary<ListPartnersResponse__Output>((done) =>
      partners.ListPartners({ page_size: 2, page_token }, auth, deadline(), done),
    );
    pages++;
    names.push(...page.partners.map((p) => p.name));
    page_token = page.next_page_token;
  } while (page_token !== '');
  if (!names.includes('partners/ilo')) fail('partners/ilo is not among the partners');
  console.log(`authenticated; partners: ${names.length} over ${pages} pages`);

  // 3. Sync two of a partner's commitments, keyed by its own ids.
  const commitments = new v1.CommitmentService(address, credentials);
  const summary = await new Promise<SyncSummary__Output>((resolve, reject) => {
    const sync = commitments.SyncCommitments(auth, deadline());
    let last: SyncSummary__Output | null = null;
    sync.on('data', (response: SyncCommitmentsResponse__Output) => {
      if (response.summary) last = response.summary;
    });
    sync.on('error', reject);
    sync.on('end', () => (last ? resolve(last) : reject(new Error('no summary'))));
    sync.write({
      parent: 'partners/us-dol',
      commitments: [1_000_000, 2_500_000].map((units, i) => ({
        external_id: `NODE-GRANT-${i + 1}`,
        kind: 'KIND_FUNDING',
        title: `Example grant NODE-GRANT-${i + 1}`,
        amount: { currency_code: 'USD', units: String(units) },
        contribution_basis: 'CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED',
        recipient_partner: 'partners/ilo',
      })),
    });
    sync.end();
  });
  if (!summary.applied || summary.created + summary.unchanged !== 2) {
    fail(`unexpected sync summary: ${JSON.stringify(summary)}`);
  }
  console.log(
    `sync partners/us-dol: ${summary.created} created, ${summary.updated} updated, ` +
      `${summary.unchanged} unchanged at revision ${summary.revision}`,
  );

  // 4. Watch alerts after that revision, file one, and see it arrive.
  const changes = new v1.ChangeService(address, credentials);
  const watch = changes.WatchChanges(
    { after_revision: summary.revision, filter: { collections: ['alerts'] } },
    auth,
    deadline(30_000),
  );
  const alerts = new v1.AlertService(address, credentials);
  const alert: Alert = {
    filing_partner: 'partners/example-union',
    category: 'CATEGORY_THREAT_OF_VIOLENCE',
    severity: 'SEVERITY_SEVERE',
    urgency: 'URGENCY_IMMEDIATE',
    certainty: 'CERTAINTY_LIKELY',
    country_code: 'ID',
    headline: 'EXAMPLE: organisers threatened (TypeScript scenario)',
  };
  const created = await unary<CreateAlertResponse__Output>((done) =>
    alerts.CreateAlert({ alert, request_id: 'node-scenario-alert' }, auth, deadline(), done),
  );
  const filed = created.alert!.name;
  console.log(`filed ${filed}`);
  const revision = await new Promise<string>((resolve, reject) => {
    watch.on('data', (message: WatchChangesResponse__Output) => {
      const change = message.changes.find((c) => c.name === filed);
      if (change) resolve(change.revision);
    });
    watch.on('error', (error: grpc.ServiceError) => {
      if (error.code !== grpc.status.CANCELLED) reject(error);
    });
    watch.on('end', () => reject(new Error('the watch ended without the alert')));
  });
  watch.cancel();
  console.log(`watch saw ${filed} at revision ${revision}`);

  // 5. An invalid alert: INVALID_ARGUMENT naming the field.
  try {
    await unary<CreateAlertResponse__Output>((done) =>
      alerts.CreateAlert({ alert: { ...alert, country_code: 'XX' } }, auth, deadline(), done),
    );
    fail('an invalid alert was accepted');
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    if (code !== grpc.status.INVALID_ARGUMENT || !details.includes('alert.country_code')) {
      fail(`expected INVALID_ARGUMENT naming alert.country_code, got ${code}: ${details}`);
    }
    console.log(`validation error INVALID_ARGUMENT names alert.country_code: ${details}`);
    // The same as data: google.rpc.Status in the grpc-status-details-bin
    // trailer, with a BadRequest among its details, decoded with googleapis'
    // own protos.
    const [bytes] = (error as grpc.ServiceError).metadata.get('grpc-status-details-bin');
    if (!(bytes instanceof Buffer)) fail('the error carries no google.rpc.Status');
    const status = rpcTypes.lookupType('google.rpc.Status').decode(bytes) as unknown as {
      // protobufjs keeps google.protobuf.Any's own field names.
      details: { type_url: string; value: Uint8Array }[];
    };
    for (const detail of status.details) {
      if (detail.type_url !== 'type.googleapis.com/google.rpc.BadRequest') continue;
      const badRequest = rpcTypes.lookupType('google.rpc.BadRequest').decode(detail.value) as unknown as {
        fieldViolations: { field: string; description: string }[];
      };
      for (const violation of badRequest.fieldViolations) {
        console.log(`field violation: ${violation.field}: ${violation.description}`);
      }
    }
  }
  for (const client of [partners, commitments, changes, alerts]) client.close();
  console.log('scenario passed');
}

main().catch((error) => fail(String(error)));
