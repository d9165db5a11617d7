// Checks envelope.ts against docs/sealed-envelope-vectors.json: the same
// fixed inputs give the same associated data, data key id, ciphertext,
// signed bytes and signature; the vectors' envelope opens for each
// recipient; and each envelope that must not open does not.
//
//   ./check_vectors.sh ../../docs/sealed-envelope-vectors.json
import {readFileSync} from "fs";
import sodium from "libsodium-wrappers";
import {associatedData, Envelope, open, seal, signedBytes} from "./envelope";

const fromHex = (s: string) => sodium.from_hex(s);
const fromBase64 = (s: string) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);

// An envelope as proto3 JSON gives it (bytes in base64).
function fromJson(j: any): Envelope {
  return {
    formatVersion: j.formatVersion, signingKey: j.signingKey, nonce: fromBase64(j.nonce),
    ciphertext: fromBase64(j.ciphertext), dataKeyId: fromBase64(j.dataKeyId),
    recipientKeys: j.recipientKeys,
    wraps: j.wraps.map((w: any) => ({key: w.key, sealedDataKey: fromBase64(w.sealedDataKey)})),
    signature: fromBase64(j.signature),
  };
}

function fail(message: string): never {
  console.log(`vectors: ${message}`);
  process.exit(1);
}

async function main() {
  await sodium.ready;
  const v = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const signer = sodium.crypto_sign_seed_keypair(fromHex(v.signer.signing_seed_hex));
  const recipients = v.recipients.map((r: any) => {
    const pair = sodium.crypto_box_seed_keypair(fromHex(r.sealing_seed_hex));
    if (sodium.to_hex(pair.publicKey) !== r.sealing_public_key_hex) fail(`${r.key}: public key`);
    return {key: r.key, sealingPublicKey: pair.publicKey, sealingSecretKey: pair.privateKey};
  });
  const details = fromHex(v.details_hex);
  const e = seal(v.alert, details, recipients, v.signer.key, signer.privateKey,
                 fromHex(v.data_key_hex), fromHex(v.nonce_hex));
  const checks: Record<string, Uint8Array> = {
    associated_data_hex: associatedData(v.alert, e.recipientKeys),
    data_key_id_hex: e.dataKeyId,
    ciphertext_hex: e.ciphertext,
    signed_bytes_hex: signedBytes(v.alert, e),
    signature_hex: e.signature,
  };
  for (const [field, value] of Object.entries(checks)) {
    if (sodium.to_hex(value) !== v.expected[field]) fail(`${field} differs`);
  }
  console.log(`vectors: the same ${Object.keys(checks).length} byte strings as ` +
              "docs/sealed-envelope-vectors.json");
  const kept = fromJson(v.envelope);
  for (const r of recipients) {
    const opened = open(v.alert, kept, signer.publicKey, r.key, r.sealingPublicKey,
                        r.sealingSecretKey);
    if (sodium.compare(opened, details) !== 0) fail(`opened for ${r.key} to other details`);
  }
  console.log(`vectors: the envelope opens for each of its ${recipients.length} recipients`);
  const r = recipients[0];
  for (const c of v.must_not_open) {
    let opened = true;
    try {
      open(c.alert, fromJson(c.envelope), signer.publicKey, r.key, r.sealingPublicKey,
           r.sealingSecretKey);
    } catch {
      opened = false;
    }
    if (opened) fail(`an envelope opened that must not: ${c.why}`);
  }
  console.log(`vectors: none of the ${v.must_not_open.length} that must not open does`);
}

main();
