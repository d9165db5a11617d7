// mpower's sealed envelope, format 1 (docs/sealed-envelope.md), in
// TypeScript with libsodium-wrappers: sealing an alert's protected details
// to the partners entitled to them, and opening them, byte for byte as
// mpower's CLI does. check_vectors.ts checks it against
// docs/sealed-envelope-vectors.json. Call `await sodium.ready` first.
import sodium from "libsodium-wrappers";

const CONTEXT = "mpower-sealed-envelope-v1";
const DATA_KEY_ID_CONTEXT = "mpower-data-key-id-v1";
const PADDING_BLOCK = 512;
export const FORMAT_VERSION = 1;

export interface Wrap {
  key: string;
  sealedDataKey: Uint8Array;
}

// The fields of mpower.v1.SealedEnvelope.
export interface Envelope {
  formatVersion: number;
  signingKey: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  dataKeyId: Uint8Array;
  recipientKeys: string[];
  wraps: Wrap[];
  signature: Uint8Array;
}

export interface Recipient {
  key: string;
  sealingPublicKey: Uint8Array;
}

const text = (s: string) => new TextEncoder().encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function uint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

function keyList(names: string[]): Uint8Array {
  return concat(uint32(names.length), ...names.map((n) => concat(text(n), new Uint8Array(1))));
}

export function associatedData(alert: string, names: string[]): Uint8Array {
  return concat(text(`${CONTEXT}\0${alert}\0`), keyList(names));
}

export function signedBytes(alert: string, e: Envelope): Uint8Array {
  return concat(text(`${CONTEXT}\0${alert}\0${e.signingKey}\0`), uint32(e.formatVersion), e.nonce,
                e.dataKeyId, keyList(e.recipientKeys), e.ciphertext);
}

export function dataKeyId(dataKey: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, text(DATA_KEY_ID_CONTEXT), dataKey);
}

// Seals serialized details for `alert` to `recipients`, signed by
// `signingKey` with its Ed25519 secret. The data key and nonce are random
// unless given (test vectors only).
export function seal(alert: string, details: Uint8Array, recipients: Recipient[],
                     signingKey: string, signingSecret: Uint8Array,
                     dataKey: Uint8Array = sodium.randombytes_buf(32),
                     nonce: Uint8Array = sodium.randombytes_buf(24)): Envelope {
  const sorted = [...recipients].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const names = sorted.map((r) => r.key);
  const e: Envelope = {
    formatVersion: FORMAT_VERSION,
    signingKey,
    nonce,
    ciphertext: sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        sodium.pad(details, PADDING_BLOCK), associatedData(alert, names), null, nonce, dataKey),
    dataKeyId: dataKeyId(dataKey),
    recipientKeys: names,
    wraps: sorted.map((r) => ({key: r.key,
                               sealedDataKey: sodium.crypto_box_seal(dataKey, r.sealingPublicKey)})),
    signature: new Uint8Array(),
  };
  e.signature = sodium.crypto_sign_detached(signedBytes(alert, e), signingSecret);
  return e;
}

// The details `e` holds for `alert`, opened with the key `keyName`; throws
// if anything about it is wrong. The caller checks first that
// `signingPublicKey` is the filing partner's key (or an accepted recovery
// key of the secretariat), and that the alert is the one it asked for.
export function open(alert: string, e: Envelope, signingPublicKey: Uint8Array, keyName: string,
                     sealingPublic: Uint8Array, sealingSecret: Uint8Array): Uint8Array {
  const names = e.recipientKeys;
  const sortedUnique = names.every((n, i) => i === 0 || names[i - 1] < n);
  if (e.formatVersion !== FORMAT_VERSION || e.nonce.length !== 24 || e.dataKeyId.length !== 32 ||
      e.signature.length !== 64 || !sortedUnique || e.ciphertext.length % PADDING_BLOCK !== 16) {
    throw new Error("malformed envelope");
  }
  if (!sodium.crypto_sign_verify_detached(e.signature, signedBytes(alert, e), signingPublicKey)) {
    throw new Error("the signature does not verify for this alert");
  }
  const wrap = e.wraps.find((w) => w.key === keyName);
  if (wrap === undefined || !names.includes(keyName)) throw new Error(`not sealed to ${keyName}`);
  const dataKey = sodium.crypto_box_seal_open(wrap.sealedDataKey, sealingPublic, sealingSecret);
  if (sodium.compare(dataKeyId(dataKey), e.dataKeyId) !== 0) {
    throw new Error("the wrap holds another data key than the one signed");
  }
  const padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, e.ciphertext, associatedData(alert, names), e.nonce, dataKey);
  return sodium.unpad(padded, PADDING_BLOCK);
}
