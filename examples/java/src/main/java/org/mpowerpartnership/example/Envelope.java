package org.mpowerpartnership.example;

import com.goterl.lazysodium.SodiumJava;
import com.goterl.lazysodium.utils.LibraryLoader;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * mpower's sealed envelope, format 1 (docs/sealed-envelope.md), in Java with
 * lazysodium (libsodium through JNA; Debian's libsodium when installed):
 * sealing an alert's protected details to the partners entitled to them, and
 * opening them, byte for byte as mpower's CLI does. {@link CheckVectors}
 * checks it against docs/sealed-envelope-vectors.json.
 */
public final class Envelope {
  static final String CONTEXT = "mpower-sealed-envelope-v1";
  static final String DATA_KEY_ID_CONTEXT = "mpower-data-key-id-v1";
  static final int PADDING_BLOCK = 512;
  public static final int FORMAT_VERSION = 1;

  private static final SodiumJava SODIUM = new SodiumJava(LibraryLoader.Mode.PREFER_SYSTEM);

  /** The data key sealed to one key. */
  public record Wrap(String key, byte[] sealedDataKey) {}

  /** A key to seal to: its name and X25519 public key. */
  public record Recipient(String key, byte[] sealingPublicKey) {}

  // The fields of mpower.v1.SealedEnvelope.
  public int formatVersion;
  public String signingKey;
  public byte[] nonce;
  public byte[] ciphertext;
  public byte[] dataKeyId;
  public List<String> recipientKeys = new ArrayList<>();
  public List<Wrap> wraps = new ArrayList<>();
  public byte[] signature;

  static SodiumJava sodium() {
    return SODIUM;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] keyList(List<String> names) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(4).putInt(names.size()).array());
    for (String name : names) {
      out.writeBytes(bytes(name));
      out.write(0);
    }
    return out.toByteArray();
  }

  public static byte[] associatedData(String alert, List<String> names) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(bytes(CONTEXT + "\0" + alert + "\0"));
    out.writeBytes(keyList(names));
    return out.toByteArray();
  }

  public byte[] signedBytes(String alert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(bytes(CONTEXT + "\0" + alert + "\0" + signingKey + "\0"));
    out.writeBytes(ByteBuffer.allocate(4).putInt(formatVersion).array());
    out.writeBytes(nonce);
    out.writeBytes(dataKeyId);
    out.writeBytes(keyList(recipientKeys));
    out.writeBytes(ciphertext);
    return out.toByteArray();
  }

  public static byte[] dataKeyId(byte[] dataKey) {
    byte[] id = new byte[32];
    byte[] context = bytes(DATA_KEY_ID_CONTEXT);
    SODIUM.crypto_generichash(id, id.length, context, context.length, dataKey, dataKey.length);
    return id;
  }

  static byte[] pad(byte[] data) {
    int capacity = (data.length / PADDING_BLOCK + 1) * PADDING_BLOCK;
    Memory buffer = new Memory(capacity);
    buffer.write(0, data, 0, data.length);
    IntByReference padded = new IntByReference();
    SODIUM.sodium_pad(padded, buffer, data.length, PADDING_BLOCK, capacity);
    return buffer.getByteArray(0, padded.getValue());
  }

  static byte[] unpad(byte[] padded) throws GeneralSecurityException {
    Memory buffer = new Memory(Math.max(1, padded.length));
    buffer.write(0, padded, 0, padded.length);
    IntByReference unpadded = new IntByReference();
    if (SODIUM.sodium_unpad(unpadded, buffer, padded.length, PADDING_BLOCK) != 0) {
      throw new GeneralSecurityException("bad padding");
    }
    return buffer.getByteArray(0, unpadded.getValue());
  }

  private static byte[] random(int size) {
    byte[] out = new byte[size];
    SODIUM.randombytes_buf(out, size);
    return out;
  }

  /**
   * Seals serialized details for {@code alert} to {@code recipients}, signed
   * by {@code signingKey} with its Ed25519 secret (libsodium's 64-byte form).
   * The data key and nonce are random unless given (test vectors only).
   */
  public static Envelope seal(String alert, byte[] details, List<Recipient> recipients,
      String signingKey, byte[] signingSecret, byte[] dataKey, byte[] nonce) {
    dataKey = dataKey != null ? dataKey : random(32);
    nonce = nonce != null ? nonce : random(24);
    List<Recipient> sorted = new ArrayList<>(recipients);
    sorted.sort(Comparator.comparing(Recipient::key));
    Envelope e = new Envelope();
    e.formatVersion = FORMAT_VERSION;
    e.signingKey = signingKey;
    e.nonce = nonce;
    for (Recipient r : sorted) e.recipientKeys.add(r.key());
    byte[] padded = pad(details);
    byte[] aad = associatedData(alert, e.recipientKeys);
    e.ciphertext = new byte[padded.length + 16];
    SODIUM.crypto_aead_xchacha20poly1305_ietf_encrypt(e.ciphertext, null, padded, padded.length,
        aad, aad.length, null, nonce, dataKey);
    e.dataKeyId = dataKeyId(dataKey);
    for (Recipient r : sorted) {
      byte[] sealed = new byte[dataKey.length + 48];
      SODIUM.crypto_box_seal(sealed, dataKey, dataKey.length, r.sealingPublicKey());
      e.wraps.add(new Wrap(r.key(), sealed));
    }
    byte[] signed = e.signedBytes(alert);
    e.signature = new byte[64];
    SODIUM.crypto_sign_detached(e.signature, null, signed, signed.length, signingSecret);
    return e;
  }

  /**
   * The details this envelope holds for {@code alert}, opened with the key
   * {@code keyName}; throws if anything about it is wrong. The caller checks
   * first that {@code signingPublicKey} is the filing partner's key (or an
   * accepted recovery key of the secretariat), and that the alert is the one
   * it asked for.
   */
  public byte[] open(String alert, byte[] signingPublicKey, String keyName, byte[] sealingPublic,
      byte[] sealingSecret) throws GeneralSecurityException {
    boolean sortedUnique = true;
    for (int i = 1; i < recipientKeys.size(); i++) {
      sortedUnique &= recipientKeys.get(i - 1).compareTo(recipientKeys.get(i)) < 0;
    }
    if (formatVersion != FORMAT_VERSION || nonce.length != 24 || dataKeyId.length != 32
        || signature.length != 64 || !sortedUnique
        || ciphertext.length % PADDING_BLOCK != 16) {
      throw new GeneralSecurityException("malformed envelope");
    }
    byte[] signed = signedBytes(alert);
    if (SODIUM.crypto_sign_verify_detached(signature, signed, signed.length, signingPublicKey)
        != 0) {
      throw new GeneralSecurityException("the signature does not verify for this alert");
    }
    Wrap wrap = wraps.stream().filter(w -> w.key().equals(keyName)).findFirst().orElse(null);
    if (wrap == null || !recipientKeys.contains(keyName)) {
      throw new GeneralSecurityException("not sealed to " + keyName);
    }
    byte[] dataKey = new byte[Math.max(0, wrap.sealedDataKey().length - 48)];
    if (wrap.sealedDataKey().length != 80 || SODIUM.crypto_box_seal_open(dataKey,
        wrap.sealedDataKey(), wrap.sealedDataKey().length, sealingPublic, sealingSecret) != 0) {
      throw new GeneralSecurityException("the wrap does not open with this key");
    }
    if (!Arrays.equals(dataKeyId(dataKey), dataKeyId)) {
      throw new GeneralSecurityException("the wrap holds another data key than the one signed");
    }
    byte[] aad = associatedData(alert, recipientKeys);
    byte[] padded = new byte[ciphertext.length - 16];
    if (SODIUM.crypto_aead_xchacha20poly1305_ietf_decrypt(padded, null, null, ciphertext,
        ciphertext.length, aad, aad.length, nonce, dataKey) != 0) {
      throw new GeneralSecurityException("the ciphertext does not open");
    }
    return unpad(padded);
  }
}
