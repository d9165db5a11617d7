package org.mpowerpartnership.example;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.mpowerpartnership.mpower.v1.Alert;
import org.mpowerpartnership.mpower.v1.AlertProtectedDetails;
import org.mpowerpartnership.mpower.v1.AlertServiceGrpc;
import org.mpowerpartnership.mpower.v1.CreateEncryptionKeyRequest;
import org.mpowerpartnership.mpower.v1.EncryptionKey;
import org.mpowerpartnership.mpower.v1.EncryptionKeyServiceGrpc;
import org.mpowerpartnership.mpower.v1.GetAlertRequest;
import org.mpowerpartnership.mpower.v1.GetEncryptionKeyRequest;
import org.mpowerpartnership.mpower.v1.KeyWrap;
import org.mpowerpartnership.mpower.v1.ListEncryptionKeysRequest;
import org.mpowerpartnership.mpower.v1.ListEncryptionKeysResponse;
import org.mpowerpartnership.mpower.v1.ListPartnersRequest;
import org.mpowerpartnership.mpower.v1.Partner;
import org.mpowerpartnership.mpower.v1.PartnerServiceGrpc;
import org.mpowerpartnership.mpower.v1.SealedEnvelope;
import org.mpowerpartnership.mpower.v1.UpdateAlertRequest;

/**
 * End-to-end sealing from Java, interchangeable with mpower's CLI: it reads
 * and writes the CLI's key files, opens what the CLI sealed, and seals what
 * the CLI opens (docs/sealed-envelope.md; README, "End-to-end sealing").
 *
 * <pre>
 *   sealing.sh publish partners/P KEY_ID KEY_DIR   make and publish a key
 *   sealing.sh open alerts/A KEY_DIR               open an alert's details
 *   sealing.sh seal alerts/A KEY_DIR NAME TEXT     seal new details to it
 * </pre>
 *
 * <p>It reads MPOWER_ADDRESS and MPOWER_TOKEN. A real integration also pins
 * partners' keys on first use, as the CLI does; this example checks each
 * key's proof and fingerprint, and that the signer is the filing partner's,
 * but trusts the server's word on which keys exist.
 */
public final class Sealing {
  private static final class BearerToken extends CallCredentials {
    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + System.getenv("MPOWER_TOKEN"));
      applier.apply(headers);
    }
  }

  private static void fail(String message) {
    System.err.println("sealing: " + message);
    System.exit(1);
  }

  private static byte[] concat(byte[]... parts) {
    int size = 0;
    for (byte[] part : parts) size += part.length;
    byte[] out = new byte[size];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] proofMessage(String partner, byte[] sealing, byte[] signing) {
    return concat(utf8("mpower-encryption-key-v1\0" + partner + "\0"), sealing, signing);
  }

  static String fingerprint(byte[] sealing, byte[] signing) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-512")
        .digest(concat(utf8("mpower-key-fingerprint-v1\0"), sealing, signing));
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      long value = 0;
      for (int j = 0; j < 5; j++) value = (value << 8) | (digest[i * 5 + j] & 0xff);
      groups.add(String.format("%05d", value % 100000));
    }
    return String.join(" ", groups);
  }

  /** {@code key}, if its proof binds it to {@code partner} and its fingerprint is its own. */
  static EncryptionKey checked(EncryptionKey key, String partner) throws Exception {
    byte[] sealing = key.getSealingPublicKey().toByteArray();
    byte[] signing = key.getSigningPublicKey().toByteArray();
    byte[] message = proofMessage(partner, sealing, signing);
    if (!key.getName().startsWith(partner + "/encryptionKeys/")
        || Envelope.sodium().crypto_sign_verify_detached(
            key.getProofOfPossession().toByteArray(), message, message.length, signing) != 0) {
      fail(key.getName() + ": its proof of possession does not verify for " + partner);
    }
    if (!fingerprint(sealing, signing).equals(key.getFingerprint())) {
      fail(key.getName() + ": the server's fingerprint is not that of its keys");
    }
    return key;
  }

  static Path keyFile(String dir, String name) {
    String[] parts = name.split("/");
    return Path.of(dir, parts[1], parts[3] + ".key");
  }

  /** The halves of a key the CLI keeps in {@code dir}; null if none (or under a passphrase). */
  static Map<String, byte[]> readKey(String dir, String name) throws Exception {
    Path file = keyFile(dir, name);
    if (!Files.exists(file)) return null;
    Map<String, byte[]> fields = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int at = line.indexOf(" = ");
      if (at < 0 || line.startsWith("#")) continue;
      try {
        fields.put(line.substring(0, at), Base64.getDecoder().decode(line.substring(at + 3)));
      } catch (IllegalArgumentException notBase64) {
        // parent and fingerprint are text
      }
    }
    byte[] secret = fields.get("sealing_secret_key");
    byte[] signing = fields.get("signing_secret_key");
    return secret != null && secret.length == 32 && signing != null && signing.length == 64
        ? fields
        : null;
  }

  static void writeKey(String dir, String name, byte[] sealingPublic, byte[] sealingSecret,
      byte[] signingPublic, byte[] signingSecret) throws Exception {
    Path file = keyFile(dir, name);
    Files.createDirectories(file.getParent(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Base64.Encoder b64 = Base64.getEncoder();
    String text = "# mpower private key: never share this file; back it up offline.\n"
        + "parent = " + name.substring(0, name.indexOf("/encryptionKeys/")) + "\n"
        + "fingerprint = " + fingerprint(sealingPublic, signingPublic) + "\n"
        + "sealing_public_key = " + b64.encodeToString(sealingPublic) + "\n"
        + "signing_public_key = " + b64.encodeToString(signingPublic) + "\n"
        + "sealing_secret_key = " + b64.encodeToString(sealingSecret) + "\n"
        + "signing_secret_key = " + b64.encodeToString(signingSecret) + "\n";
    Files.createFile(file,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardOpenOption.WRITE);
  }

  static Envelope fromProto(SealedEnvelope m) {
    Envelope e = new Envelope();
    e.formatVersion = m.getFormatVersion();
    e.signingKey = m.getSigningKey();
    e.nonce = m.getNonce().toByteArray();
    e.ciphertext = m.getCiphertext().toByteArray();
    e.dataKeyId = m.getDataKeyId().toByteArray();
    e.recipientKeys.addAll(m.getRecipientKeysList());
    for (KeyWrap w : m.getWrapsList()) {
      e.wraps.add(new Envelope.Wrap(w.getKey(), w.getSealedDataKey().toByteArray()));
    }
    e.signature = m.getSignature().toByteArray();
    return e;
  }

  static SealedEnvelope toProto(Envelope e) {
    SealedEnvelope.Builder m = SealedEnvelope.newBuilder()
        .setFormatVersion(e.formatVersion)
        .setSigningKey(e.signingKey)
        .setNonce(ByteString.copyFrom(e.nonce))
        .setCiphertext(ByteString.copyFrom(e.ciphertext))
        .setDataKeyId(ByteString.copyFrom(e.dataKeyId))
        .addAllRecipientKeys(e.recipientKeys)
        .setSignature(ByteString.copyFrom(e.signature));
    for (Envelope.Wrap w : e.wraps) {
      m.addWraps(KeyWrap.newBuilder().setKey(w.key())
          .setSealedDataKey(ByteString.copyFrom(w.sealedDataKey())));
    }
    return m.build();
  }

  public static void main(String[] args) throws Exception {
    ManagedChannel channel =
        Grpc.newChannelBuilder(System.getenv("MPOWER_ADDRESS"), InsecureChannelCredentials.create())
            .build();
    try {
      run(channel, args);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void run(ManagedChannel channel, String[] args) throws Exception {
    BearerToken token = new BearerToken();
    AlertServiceGrpc.AlertServiceBlockingStub alerts =
        AlertServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
    EncryptionKeyServiceGrpc.EncryptionKeyServiceBlockingStub keys =
        EncryptionKeyServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
    PartnerServiceGrpc.PartnerServiceBlockingStub partners =
        PartnerServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
    List<String> secretariat = new ArrayList<>();
    for (Partner p : partners.listPartners(ListPartnersRequest.newBuilder()
        .setFilter("type = TYPE_SECRETARIAT").setPageSize(1000).build()).getPartnersList()) {
      secretariat.add(p.getName());
    }
    String command = args.length > 0 ? args[0] : "";
    if (command.equals("publish") && args.length == 4) {
      String partner = args[1];
      byte[] sealingPublic = new byte[32];
      byte[] sealingSecret = new byte[32];
      byte[] signingPublic = new byte[32];
      byte[] signingSecret = new byte[64];
      Envelope.sodium().crypto_box_keypair(sealingPublic, sealingSecret);
      Envelope.sodium().crypto_sign_keypair(signingPublic, signingSecret);
      byte[] message = proofMessage(partner, sealingPublic, signingPublic);
      byte[] proof = new byte[64];
      Envelope.sodium().crypto_sign_detached(proof, null, message, message.length, signingSecret);
      EncryptionKey published = keys.createEncryptionKey(CreateEncryptionKeyRequest.newBuilder()
          .setParent(partner).setEncryptionKeyId(args[2])
          .setEncryptionKey(EncryptionKey.newBuilder().setDisplayName("Java example")
              .setSealingPublicKey(ByteString.copyFrom(sealingPublic))
              .setSigningPublicKey(ByteString.copyFrom(signingPublic))
              .setProofOfPossession(ByteString.copyFrom(proof)))
          .build()).getEncryptionKey();
      writeKey(args[3], published.getName(), sealingPublic, sealingSecret, signingPublic,
          signingSecret);
      System.out.println("published " + published.getName() + ", fingerprint "
          + published.getFingerprint());
    } else if (command.equals("open") && args.length == 3) {
      String name = args[1];
      Alert alert = alerts.getAlert(GetAlertRequest.newBuilder().setName(name).build()).getAlert();
      if (!alert.getName().equals(name)) fail("the server answered for " + name + " with another");
      if (!alert.getProtectedDetails().hasSealed()) fail(name + " has no sealed details for this caller");
      Envelope e = fromProto(alert.getProtectedDetails().getSealed());
      String signerPartner = e.signingKey.substring(0, Math.max(0, e.signingKey.indexOf("/encryptionKeys/")));
      if (!signerPartner.equals(alert.getFilingPartner()) && !secretariat.contains(signerPartner)) {
        fail(name + ": signed by " + e.signingKey + ", neither the filer's nor a recovery key");
      }
      EncryptionKey signer = checked(keys.getEncryptionKey(GetEncryptionKeyRequest.newBuilder()
          .setName(e.signingKey).build()).getEncryptionKey(), signerPartner);
      for (Envelope.Wrap wrap : e.wraps) {
        Map<String, byte[]> held = readKey(args[2], wrap.key());
        if (held == null) continue;
        AlertProtectedDetails details = AlertProtectedDetails.parseFrom(e.open(name,
            signer.getSigningPublicKey().toByteArray(), wrap.key(),
            held.get("sealing_public_key"), held.get("sealing_secret_key")));
        List<String> people = new ArrayList<>();
        details.getPeopleList().forEach(p -> people.add(p.getFullName()));
        System.out.println("opened " + name + " with " + wrap.key() + ", sealed by "
            + e.signingKey + ": people: " + String.join(", ", people) + "; narrative: "
            + details.getNarrative());
        return;
      }
      fail("no key in " + args[2] + " opens " + name);
    } else if (command.equals("seal") && args.length == 5) {
      String name = args[1];
      Alert alert = alerts.getAlert(GetAlertRequest.newBuilder().setName(name).build()).getAlert();
      if (!alert.getName().equals(name)) fail("the server answered for " + name + " with another");
      List<String> entitled = new ArrayList<>();
      entitled.add(alert.getFilingPartner());
      entitled.addAll(alert.getRecipientPartnersList());
      // The secretariat's recovery keys too, when it has published any.
      List<String> everyone = new ArrayList<>(entitled);
      secretariat.stream().filter(p -> !entitled.contains(p)).forEach(everyone::add);
      List<Envelope.Recipient> recipients = new ArrayList<>();
      String signingKey = null;
      byte[] signingSecret = null;
      for (String partner : everyone) {
        ListEncryptionKeysResponse page = keys.listEncryptionKeys(ListEncryptionKeysRequest
            .newBuilder().setParent(partner).setFilter("state = STATE_ACTIVE").setPageSize(1000)
            .build());
        List<EncryptionKey> found = new ArrayList<>();
        for (EncryptionKey key : page.getEncryptionKeysList()) {
          if (key.getState() == EncryptionKey.State.STATE_ACTIVE) found.add(checked(key, partner));
        }
        if (found.isEmpty() && entitled.contains(partner)) {
          fail(partner + " has published no ACTIVE key to seal to");
        }
        for (EncryptionKey key : found) {
          recipients.add(new Envelope.Recipient(key.getName(),
              key.getSealingPublicKey().toByteArray()));
          Map<String, byte[]> held = partner.equals(alert.getFilingPartner())
              ? readKey(args[2], key.getName()) : null;
          if (signingKey == null && held != null) {
            signingKey = key.getName();
            signingSecret = held.get("signing_secret_key");
          }
        }
      }
      if (signingKey == null) {
        fail(args[2] + " holds no ACTIVE key of " + alert.getFilingPartner() + " to sign with");
      }
      AlertProtectedDetails details = AlertProtectedDetails.newBuilder()
          .addPeople(AlertProtectedDetails.Person.newBuilder().setFullName(args[3]))
          .setNarrative(args[4]).build();
      Envelope e = Envelope.seal(name, details.toByteArray(), recipients, signingKey,
          signingSecret, null, null);
      alerts.updateAlert(UpdateAlertRequest.newBuilder()
          .setAlert(Alert.newBuilder().setName(name).setEtag(alert.getEtag())
              .setProtectedDetails(AlertProtectedDetails.newBuilder().setSealed(toProto(e))))
          .setUpdateMask(FieldMask.newBuilder().addPaths("protected_details"))
          .build());
      System.out.println("sealed " + name + " to " + recipients.size() + " keys, signed with "
          + signingKey);
    } else {
      fail("usage: publish partners/P KEY_ID KEY_DIR | open alerts/A KEY_DIR | "
          + "seal alerts/A KEY_DIR NAME TEXT");
    }
  }
}
