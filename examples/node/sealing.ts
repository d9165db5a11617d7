// End-to-end sealing from TypeScript, interchangeable with mpower's CLI: it
// reads and writes the CLI's key files, opens what the CLI sealed, and
// seals what the CLI opens (docs/sealed-envelope.md; README, "End-to-end
// sealing").
//
//   sealing.sh publish partners/P KEY_ID KEY_DIR   make and publish a key
//   sealing.sh open alerts/A KEY_DIR               open an alert's details
//   sealing.sh seal alerts/A KEY_DIR NAME TEXT     seal new details to it
//
// It reads MPOWER_ADDRESS and MPOWER_TOKEN. A real integration also pins
// partners' keys on first use, as the CLI does; this example checks each
// key's proof and fingerprint, and that the signer is the filing partner's,
// but trusts the server's word on which keys exist.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {createHash} from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as protobuf from "protobufjs";
import sodium from "libsodium-wrappers";
import {Envelope, open, Recipient, seal} from "./envelope";

const protoDir = process.env.MPOWER_PROTO_DIR ?? fail("set MPOWER_PROTO_DIR");
const googleapis = path.dirname(require.resolve("google-proto-files/package.json"));
const includeDirs = [protoDir, googleapis];
const files = ["alert", "encryption_key", "partner"].map((n) => `mpower/v1/${n}.proto`);
// Details travel serialized inside the envelope: protobufjs encodes them.
const messages = new protobuf.Root();
messages.resolvePath = (_origin, target) =>
  includeDirs.map((dir) => path.join(dir, target)).find((p) => fs.existsSync(p)) ?? target;
messages.loadSync(files, {keepCase: true});
const Details = messages.lookupType("mpower.v1.AlertProtectedDetails");

function fail(message: string): never {
  console.error(`sealing: ${message}`);
  process.exit(1);
}

type Unary = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions,
              callback: (error: grpc.ServiceError | null, response: any) => void) => void;

function call(client: any, method: string, request: object): Promise<any> {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${process.env.MPOWER_TOKEN}`);
  return new Promise((resolve, reject) =>
    (client[method] as Unary).call(client, request, metadata, {deadline: Date.now() + 10_000},
        (error, response) => (error ? reject(error) : resolve(response))));
}

const proofMessage = (partner: string, sealing: Uint8Array, signing: Uint8Array) =>
  Buffer.concat([Buffer.from(`mpower-encryption-key-v1\0${partner}\0`), sealing, signing]);

function fingerprint(sealing: Uint8Array, signing: Uint8Array): string {
  const digest = createHash("sha512")
      .update(Buffer.concat([Buffer.from("mpower-key-fingerprint-v1\0"), sealing, signing]))
      .digest();
  return [...Array(8).keys()]
      .map((i) => String(Number(digest.readUIntBE(i * 5, 5) % 100000)).padStart(5, "0"))
      .join(" ");
}

// `key`, if its proof binds it to `partner` and its fingerprint is its own.
function checked(key: any, partner: string): any {
  if (!key.name.startsWith(`${partner}/encryptionKeys/`) ||
      !sodium.crypto_sign_verify_detached(key.proof_of_possession, proofMessage(partner,
          key.sealing_public_key, key.signing_public_key), key.signing_public_key)) {
    fail(`${key.name}: its proof of possession does not verify for ${partner}`);
  }
  if (fingerprint(key.sealing_public_key, key.signing_public_key) !== key.fingerprint) {
    fail(`${key.name}: the server's fingerprint is not that of its keys`);
  }
  return key;
}

const keyFile = (dir: string, name: string) => {
  const [, partner, , key] = name.split("/");
  return path.join(dir, partner, `${key}.key`);
};

interface Held { sealingPublic: Uint8Array; sealingSecret: Uint8Array; signingSecret: Uint8Array }

// The key the CLI keeps in `dir`, or undefined (none, or under a passphrase).
function readKey(dir: string, name: string): Held | undefined {
  let text: string;
  try {
    text = fs.readFileSync(keyFile(dir, name), "utf8");
  } catch {
    return undefined;
  }
  const fields = new Map(text.split("\n").filter((l) => l.includes(" = ") && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf(" = ")), Buffer.from(l.slice(l.indexOf(" = ") + 3),
                                                            "base64")]));
  const [sealingPublic, sealingSecret, signingSecret] =
      ["sealing_public_key", "sealing_secret_key", "signing_secret_key"].map((f) => fields.get(f));
  if (!sealingPublic || sealingSecret?.length !== 32 || signingSecret?.length !== 64) {
    return undefined;
  }
  return {sealingPublic, sealingSecret, signingSecret};
}

// Writes a key as `mpower keys generate` does (not under a passphrase).
type KeyPair = {publicKey: Uint8Array; privateKey: Uint8Array};
function writeKey(dir: string, name: string, sealing: KeyPair, signing: KeyPair) {
  const file = keyFile(dir, name);
  fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  fs.writeFileSync(file, "# mpower private key: never share this file; back it up offline.\n" +
      `parent = ${name.slice(0, name.indexOf("/encryptionKeys/"))}\n` +
      `fingerprint = ${fingerprint(sealing.publicKey, signing.publicKey)}\n` +
      `sealing_public_key = ${b64(sealing.publicKey)}\n` +
      `signing_public_key = ${b64(signing.publicKey)}\n` +
      `sealing_secret_key = ${b64(sealing.privateKey)}\n` +
      `signing_secret_key = ${b64(signing.privateKey)}\n`, {mode: 0o600, flag: "wx"});
}

const fromProto = (m: any): Envelope => ({
  formatVersion: m.format_version, signingKey: m.signing_key, nonce: m.nonce,
  ciphertext: m.ciphertext, dataKeyId: m.data_key_id, recipientKeys: m.recipient_keys,
  wraps: m.wraps.map((w: any) => ({key: w.key, sealedDataKey: w.sealed_data_key})),
  signature: m.signature,
});

const toProto = (e: Envelope) => ({
  format_version: e.formatVersion, signing_key: e.signingKey, nonce: e.nonce,
  ciphertext: e.ciphertext, data_key_id: e.dataKeyId, recipient_keys: e.recipientKeys,
  wraps: e.wraps.map((w) => ({key: w.key, sealed_data_key: w.sealedDataKey})),
  signature: e.signature,
});

async function main() {
  await sodium.ready;
  const definition = protoLoader.loadSync(files, {includeDirs, keepCase: true, longs: String,
                                                  enums: String, defaults: true, oneofs: true});
  const v1 = (grpc.loadPackageDefinition(definition) as any).mpower.v1;
  const address = process.env.MPOWER_ADDRESS ?? fail("set MPOWER_ADDRESS");
  const insecure = grpc.credentials.createInsecure();
  const alerts = new v1.AlertService(address, insecure);
  const keys = new v1.EncryptionKeyService(address, insecure);
  const partners = new v1.PartnerService(address, insecure);
  const getAlert = async (name: string) => {
    const alert = (await call(alerts, "GetAlert", {name})).alert;
    if (alert.name !== name) fail(`the server answered for ${name} with another alert`);
    return alert;
  };
  const secretariat = async (): Promise<string[]> =>
    (await call(partners, "ListPartners", {filter: "type = TYPE_SECRETARIAT", page_size: 1000}))
        .partners.map((p: any) => p.name);
  const activeKeys = async (partner: string): Promise<any[]> => {
    const found: any[] = [];
    let page_token = "";
    do {
      const page = await call(keys, "ListEncryptionKeys",
                              {parent: partner, filter: "state = STATE_ACTIVE", page_size: 1000,
                               page_token});
      for (const key of page.encryption_keys) {
        if (key.state === "STATE_ACTIVE") found.push(checked(key, partner));
      }
      page_token = page.next_page_token;
    } while (page_token);
    return found;
  };

  const [command, ...args] = process.argv.slice(2);
  if (command === "publish" && args.length === 3) {
    const [partner, id, dir] = args;
    const sealing = sodium.crypto_box_keypair();
    const signing = sodium.crypto_sign_keypair();
    const published = (await call(keys, "CreateEncryptionKey", {
      parent: partner, encryption_key_id: id, encryption_key: {
        display_name: "TypeScript example", sealing_public_key: sealing.publicKey,
        signing_public_key: signing.publicKey,
        proof_of_possession: sodium.crypto_sign_detached(
            proofMessage(partner, sealing.publicKey, signing.publicKey), signing.privateKey)},
    })).encryption_key;
    writeKey(dir, published.name, sealing, signing);
    console.log(`published ${published.name}, fingerprint ${published.fingerprint}`);
  } else if (command === "open" && args.length === 2) {
    const [name, dir] = args;
    const alert = await getAlert(name);
    if (!alert.protected_details?.sealed) fail(`${name} has no sealed details for this caller`);
    const e = fromProto(alert.protected_details.sealed);
    const signerPartner = e.signingKey.slice(0, e.signingKey.indexOf("/encryptionKeys/"));
    if (signerPartner !== alert.filing_partner && !(await secretariat()).includes(signerPartner)) {
      fail(`${name}: signed by ${e.signingKey}, neither the filer's nor a recovery key`);
    }
    const signer = checked((await call(keys, "GetEncryptionKey", {name: e.signingKey}))
        .encryption_key, signerPartner);
    for (const wrap of e.wraps) {
      const held = readKey(dir, wrap.key);
      if (!held) continue;
      const details: any = Details.decode(open(name, e, signer.signing_public_key, wrap.key,
                                               held.sealingPublic, held.sealingSecret));
      console.log(`opened ${name} with ${wrap.key}, sealed by ${e.signingKey}: people: ` +
                  `${details.people.map((p: any) => p.full_name).join(", ")}; narrative: ` +
                  `${details.narrative}`);
      return;
    }
    fail(`no key in ${dir} opens ${name}`);
  } else if (command === "seal" && args.length === 4) {
    const [name, dir, fullName, narrative] = args;
    const alert = await getAlert(name);
    const entitled: string[] = [alert.filing_partner, ...alert.recipient_partners];
    // The secretariat's recovery keys too, when it has published any.
    const everyone = [...entitled, ...(await secretariat()).filter((p) => !entitled.includes(p))];
    const recipients: Recipient[] = [];
    let signer: [string, Uint8Array] | undefined;
    for (const partner of everyone) {
      const found = await activeKeys(partner);
      if (found.length === 0 && entitled.includes(partner)) {
        fail(`${partner} has published no ACTIVE key to seal to`);
      }
      for (const key of found) {
        recipients.push({key: key.name, sealingPublicKey: key.sealing_public_key});
        const held = partner === alert.filing_partner ? readKey(dir, key.name) : undefined;
        if (!signer && held) signer = [key.name, held.signingSecret];
      }
    }
    if (!signer) fail(`${dir} holds no ACTIVE key of ${alert.filing_partner} to sign with`);
    const details = Details.encode(Details.fromObject(
        {people: [{full_name: fullName}], narrative})).finish();
    const e = seal(name, details, recipients, signer[0], signer[1]);
    await call(alerts, "UpdateAlert", {
      alert: {name, etag: alert.etag, protected_details: {sealed: toProto(e)}},
      update_mask: {paths: ["protected_details"]},
    });
    console.log(`sealed ${name} to ${recipients.length} keys, signed with ${signer[0]}`);
  } else {
    fail("usage: publish partners/P KEY_ID KEY_DIR | open alerts/A KEY_DIR | " +
         "seal alerts/A KEY_DIR NAME TEXT");
  }
}

main().catch((error) => fail(String(error)));
