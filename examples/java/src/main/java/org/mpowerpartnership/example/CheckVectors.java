package org.mpowerpartnership.example;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks {@link Envelope} against docs/sealed-envelope-vectors.json: the same
 * fixed inputs give the same associated data, data key id, ciphertext, signed
 * bytes and signature; the vectors' envelope opens for each recipient; and
 * each envelope that must not open does not.
 */
public final class CheckVectors {
  private static byte[] hex(JsonElement e) {
    return HexFormat.of().parseHex(e.getAsString());
  }

  private static byte[] base64(JsonElement e) {
    return Base64.getDecoder().decode(e.getAsString());
  }

  /** An envelope as proto3 JSON gives it (bytes in base64). */
  private static Envelope fromJson(JsonObject j) {
    Envelope e = new Envelope();
    e.formatVersion = j.get("formatVersion").getAsInt();
    e.signingKey = j.get("signingKey").getAsString();
    e.nonce = base64(j.get("nonce"));
    e.ciphertext = base64(j.get("ciphertext"));
    e.dataKeyId = base64(j.get("dataKeyId"));
    for (JsonElement key : j.getAsJsonArray("recipientKeys")) {
      e.recipientKeys.add(key.getAsString());
    }
    for (JsonElement w : j.getAsJsonArray("wraps")) {
      JsonObject wrap = w.getAsJsonObject();
      e.wraps.add(new Envelope.Wrap(wrap.get("key").getAsString(),
          base64(wrap.get("sealedDataKey"))));
    }
    e.signature = base64(j.get("signature"));
    return e;
  }

  private static void fail(String message) {
    System.out.println("vectors: " + message);
    System.exit(1);
  }

  public static void main(String[] args) throws Exception {
    JsonObject v = JsonParser.parseString(Files.readString(Path.of(args[0]))).getAsJsonObject();
    String alert = v.get("alert").getAsString();
    JsonObject signerJson = v.getAsJsonObject("signer");
    byte[] signingPublic = new byte[32];
    byte[] signingSecret = new byte[64];
    Envelope.sodium().crypto_sign_seed_keypair(signingPublic, signingSecret,
        hex(signerJson.get("signing_seed_hex")));
    List<Envelope.Recipient> recipients = new ArrayList<>();
    List<byte[]> secrets = new ArrayList<>();
    for (JsonElement element : v.getAsJsonArray("recipients")) {
      JsonObject r = element.getAsJsonObject();
      byte[] publicKey = new byte[32];
      byte[] secretKey = new byte[32];
      Envelope.sodium().crypto_box_seed_keypair(publicKey, secretKey,
          hex(r.get("sealing_seed_hex")));
      if (!Arrays.equals(publicKey, hex(r.get("sealing_public_key_hex")))) {
        fail(r.get("key").getAsString() + ": public key");
      }
      recipients.add(new Envelope.Recipient(r.get("key").getAsString(), publicKey));
      secrets.add(secretKey);
    }
    byte[] details = hex(v.get("details_hex"));
    Envelope e = Envelope.seal(alert, details, recipients,
        signerJson.get("key").getAsString(), signingSecret, hex(v.get("data_key_hex")),
        hex(v.get("nonce_hex")));
    Map<String, byte[]> checks = new LinkedHashMap<>();
    checks.put("associated_data_hex", Envelope.associatedData(alert, e.recipientKeys));
    checks.put("data_key_id_hex", e.dataKeyId);
    checks.put("ciphertext_hex", e.ciphertext);
    checks.put("signed_bytes_hex", e.signedBytes(alert));
    checks.put("signature_hex", e.signature);
    JsonObject expected = v.getAsJsonObject("expected");
    for (Map.Entry<String, byte[]> check : checks.entrySet()) {
      if (!HexFormat.of().formatHex(check.getValue())
          .equals(expected.get(check.getKey()).getAsString())) {
        fail(check.getKey() + " differs");
      }
    }
    System.out.println("vectors: the same " + checks.size()
        + " byte strings as docs/sealed-envelope-vectors.json");
    Envelope kept = fromJson(v.getAsJsonObject("envelope"));
    for (int i = 0; i < recipients.size(); i++) {
      Envelope.Recipient r = recipients.get(i);
      byte[] opened = kept.open(alert, signingPublic, r.key(), r.sealingPublicKey(),
          secrets.get(i));
      if (!Arrays.equals(opened, details)) fail("opened for " + r.key() + " to other details");
    }
    System.out.println("vectors: the envelope opens for each of its " + recipients.size()
        + " recipients");
    JsonArray mustNotOpen = v.getAsJsonArray("must_not_open");
    for (JsonElement element : mustNotOpen) {
      JsonObject c = element.getAsJsonObject();
      Envelope.Recipient r = recipients.get(0);
      try {
        fromJson(c.getAsJsonObject("envelope")).open(c.get("alert").getAsString(),
            signingPublic, r.key(), r.sealingPublicKey(), secrets.get(0));
      } catch (java.security.GeneralSecurityException expectedRefusal) {
        continue;
      }
      fail("an envelope opened that must not: " + c.get("why").getAsString());
    }
    System.out.println("vectors: none of the " + mustNotOpen.size() + " that must not open does");
  }
}
