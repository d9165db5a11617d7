// The sealed envelope of format 1: mpower's C++ reproduces the test
// vectors that PyNaCl made (docs/sealed-envelope-vectors.json), opens the
// envelope there for each recipient, refuses every envelope the vectors
// say must not open, and reports a malformed envelope by field.

#include "common/sealed_envelope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/public_keys.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace mpower {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }
std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

class Vectors {
 public:
  Vectors() {
    std::ifstream file(MPOWER_ENVELOPE_VECTORS);
    std::stringstream text;
    text << file.rdbuf();
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text.str(), &root_).ok())
        << "cannot read " << MPOWER_ENVELOPE_VECTORS;
  }
  std::string String(absl::string_view path) const { return Value(path).string_value(); }
  std::string Bytes(absl::string_view path) const { return Unhex(String(path)); }
  const google::protobuf::Value& Value(absl::string_view path) const {
    const google::protobuf::Struct* at = &root_;
    const google::protobuf::Value* value = nullptr;
    for (absl::string_view part : absl::StrSplit(path, '.')) {
      value = &at->fields().at(std::string(part));
      at = &value->struct_value();
    }
    return *value;
  }
  // An envelope of the file, from its proto3 JSON.
  static v1::SealedEnvelope Envelope(const google::protobuf::Value& json) {
    std::string text;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(json, &text).ok());
    v1::SealedEnvelope envelope;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &envelope).ok()) << text;
    return envelope;
  }
  v1::SealedEnvelope Envelope() const { return Envelope(Value("envelope")); }

  std::vector<EnvelopeRecipient> Recipients() const {
    std::vector<EnvelopeRecipient> recipients;
    for (const auto& r : Value("recipients").list_value().values()) {
      const auto& fields = r.struct_value().fields();
      recipients.push_back({fields.at("key").string_value(),
                            Unhex(fields.at("sealing_public_key_hex").string_value())});
    }
    return recipients;
  }
  std::vector<EnvelopeOpener> Openers() const {
    std::vector<EnvelopeOpener> openers;
    for (const auto& r : Value("recipients").list_value().values()) {
      const auto& fields = r.struct_value().fields();
      openers.push_back({fields.at("key").string_value(),
                         Unhex(fields.at("sealing_public_key_hex").string_value()),
                         Unhex(fields.at("sealing_secret_key_hex").string_value())});
    }
    return openers;
  }

 private:
  google::protobuf::Struct root_;
};

struct SigningPair {
  std::string public_key = std::string(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string secret_key = std::string(crypto_sign_SECRETKEYBYTES, '\0');
};

SigningPair SigningPairFromSeed(absl::string_view seed) {
  SigningPair pair;
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                           reinterpret_cast<unsigned char*>(pair.secret_key.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return pair;
}

EnvelopeOpener NewSealingPair(absl::string_view name) {
  EnvelopeOpener opener{std::string(name), std::string(crypto_box_PUBLICKEYBYTES, '\0'),
                        std::string(crypto_box_SECRETKEYBYTES, '\0')};
  crypto_box_keypair(reinterpret_cast<unsigned char*>(opener.sealing_public_key.data()),
                     reinterpret_cast<unsigned char*>(opener.sealing_secret_key.data()));
  return opener;
}

TEST(SealedEnvelopeVectorsTest, KeysFromTheSeedsAreThoseOfTheFile) {
  ASSERT_TRUE(SodiumReady());
  const Vectors vectors;
  EXPECT_EQ(Hex(SigningPairFromSeed(vectors.Bytes("signer.signing_seed_hex")).public_key),
            vectors.String("signer.signing_public_key_hex"));
  for (const auto& r : vectors.Value("recipients").list_value().values()) {
    const auto& fields = r.struct_value().fields();
    std::string public_key(crypto_box_PUBLICKEYBYTES, '\0');
    std::string secret_key(crypto_box_SECRETKEYBYTES, '\0');
    const std::string seed = Unhex(fields.at("sealing_seed_hex").string_value());
    crypto_box_seed_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                            reinterpret_cast<unsigned char*>(secret_key.data()),
                            reinterpret_cast<const unsigned char*>(seed.data()));
    EXPECT_EQ(Hex(public_key), fields.at("sealing_public_key_hex").string_value());
    EXPECT_EQ(Hex(secret_key), fields.at("sealing_secret_key_hex").string_value());
  }
}

TEST(SealedEnvelopeVectorsTest, SealingWithTheFixedDataKeyAndNonceGivesTheExpectedBytes) {
  ASSERT_TRUE(SodiumReady());
  const Vectors vectors;
  const std::string alert = vectors.String("alert");
  const SigningPair signer = SigningPairFromSeed(vectors.Bytes("signer.signing_seed_hex"));
  absl::StatusOr<v1::SealedEnvelope> sealed = SealEnvelopeWith(
      alert, vectors.Bytes("details_hex"), vectors.Recipients(),
      EnvelopeSigner{vectors.String("signer.key"), signer.secret_key},
      EnvelopeRandomness{vectors.Bytes("data_key_hex"), vectors.Bytes("nonce_hex")});
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  const std::vector<std::string> keys(sealed->recipient_keys().begin(),
                                      sealed->recipient_keys().end());
  EXPECT_EQ(Hex(EnvelopeAssociatedData(alert, keys)),
            vectors.String("expected.associated_data_hex"));
  EXPECT_EQ(Hex(sealed->data_key_id()), vectors.String("expected.data_key_id_hex"));
  EXPECT_EQ(Hex(sealed->ciphertext()), vectors.String("expected.ciphertext_hex"));
  EXPECT_EQ(Hex(EnvelopeSignedBytes(alert, *sealed)), vectors.String("expected.signed_bytes_hex"));
  EXPECT_EQ(Hex(sealed->signature()), vectors.String("expected.signature_hex"));
  // The envelope PyNaCl made differs only in its wraps (a sealed box draws
  // its own ephemeral key).
  v1::SealedEnvelope made = vectors.Envelope();
  made.clear_wraps();
  sealed->clear_wraps();
  EXPECT_EQ(made.SerializeAsString(), sealed->SerializeAsString());
}

TEST(SealedEnvelopeVectorsTest, EveryRecipientOpensTheEnvelopeOfTheFile) {
  ASSERT_TRUE(SodiumReady());
  const Vectors vectors;
  const v1::SealedEnvelope envelope = vectors.Envelope();
  EXPECT_THAT(CheckEnvelopeShape(envelope, "envelope", /*wraps_may_be_partial=*/false), IsEmpty());
  for (const EnvelopeOpener& opener : vectors.Openers()) {
    absl::StatusOr<std::string> details = OpenEnvelope(
        vectors.String("alert"), envelope, vectors.Bytes("signer.signing_public_key_hex"), opener);
    ASSERT_TRUE(details.ok()) << opener.key_name << ": " << details.status();
    EXPECT_EQ(Hex(*details), vectors.String("details_hex"));
  }
}

TEST(SealedEnvelopeVectorsTest, NoRecipientOpensWhatTheFileSaysMustNotOpen) {
  ASSERT_TRUE(SodiumReady());
  const Vectors vectors;
  const auto& cases = vectors.Value("must_not_open").list_value().values();
  ASSERT_EQ(cases.size(), 5);
  for (const auto& c : cases) {
    const auto& fields = c.struct_value().fields();
    const v1::SealedEnvelope envelope = Vectors::Envelope(fields.at("envelope"));
    for (const EnvelopeOpener& opener : vectors.Openers()) {
      absl::StatusOr<std::string> details =
          OpenEnvelope(fields.at("alert").string_value(), envelope,
                       vectors.Bytes("signer.signing_public_key_hex"), opener);
      EXPECT_FALSE(details.ok()) << fields.at("why").string_value() << ", " << opener.key_name;
    }
  }
}

class SealedEnvelopeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(SodiumReady()); }

  v1::SealedEnvelope Seal(absl::string_view details) {
    absl::StatusOr<v1::SealedEnvelope> sealed =
        SealEnvelope(kAlert, details,
                     {{filer_.key_name, filer_.sealing_public_key},
                      {recipient_.key_name, recipient_.sealing_public_key}},
                     EnvelopeSigner{filer_.key_name, signer_.secret_key});
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    return *sealed;
  }
  std::vector<std::string> ShapeProblemFields(const v1::SealedEnvelope& envelope) {
    std::vector<std::string> fields;
    for (const EnvelopeProblem& problem : CheckEnvelopeShape(envelope, "sealed", false)) {
      fields.push_back(problem.field);
    }
    return fields;
  }

  static constexpr absl::string_view kAlert = "alerts/a1";
  const EnvelopeOpener filer_ = NewSealingPair("partners/union/encryptionKeys/desk");
  const EnvelopeOpener recipient_ = NewSealingPair("partners/ilo/encryptionKeys/geneva");
  const EnvelopeOpener outsider_ = NewSealingPair("partners/ministry/encryptionKeys/k");
  const SigningPair signer_ = SigningPairFromSeed(std::string(32, '\x5a'));
};

TEST_F(SealedEnvelopeTest, RecipientsOpenWhatWasSealedToThemAndNobodyElseDoes) {
  const v1::SealedEnvelope envelope = Seal("Ana Organiser, Jalan Merdeka 5");
  EXPECT_THAT(ShapeProblemFields(envelope), IsEmpty());
  for (const EnvelopeOpener& opener : {filer_, recipient_}) {
    absl::StatusOr<std::string> details =
        OpenEnvelope(kAlert, envelope, signer_.public_key, opener);
    ASSERT_TRUE(details.ok()) << details.status();
    EXPECT_EQ(*details, "Ana Organiser, Jalan Merdeka 5");
  }
  EXPECT_EQ(OpenEnvelope(kAlert, envelope, signer_.public_key, outsider_).status().code(),
            absl::StatusCode::kNotFound);
  // Wraps relabelled (the server swapping them) open for neither.
  v1::SealedEnvelope relabelled = envelope;
  relabelled.mutable_wraps()->SwapElements(0, 1);
  relabelled.mutable_wraps(0)->set_key(envelope.wraps(0).key());
  relabelled.mutable_wraps(1)->set_key(envelope.wraps(1).key());
  for (const EnvelopeOpener& opener : {filer_, recipient_}) {
    EXPECT_EQ(OpenEnvelope(kAlert, relabelled, signer_.public_key, opener).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST_F(SealedEnvelopeTest, TheCiphertextSaysOnlyWhichBlockTheDetailsEndIn) {
  EXPECT_EQ(Seal("A").ciphertext().size(), Seal(std::string(500, 'x')).ciphertext().size());
  EXPECT_EQ(Seal("A").ciphertext().size(), kEnvelopePaddingBlock + kEnvelopeTagBytes);
  EXPECT_EQ(Seal(std::string(512, 'x')).ciphertext().size(),
            2 * kEnvelopePaddingBlock + kEnvelopeTagBytes);
}

TEST_F(SealedEnvelopeTest, EachSealDrawsAFreshDataKeyAndNonce) {
  const v1::SealedEnvelope first = Seal("same details");
  const v1::SealedEnvelope second = Seal("same details");
  EXPECT_NE(first.data_key_id(), second.data_key_id());
  EXPECT_NE(first.nonce(), second.nonce());
  EXPECT_NE(first.ciphertext(), second.ciphertext());
}

TEST_F(SealedEnvelopeTest, TamperingIsCaughtBeforeAnythingOpens) {
  const v1::SealedEnvelope envelope = Seal("details");
  v1::SealedEnvelope other_alert_ciphertext = envelope;
  other_alert_ciphertext.set_ciphertext(Seal("other").ciphertext());
  v1::SealedEnvelope fewer_keys = envelope;
  fewer_keys.mutable_recipient_keys()->RemoveLast();
  fewer_keys.mutable_wraps()->RemoveLast();
  for (const v1::SealedEnvelope& tampered : {other_alert_ciphertext, fewer_keys}) {
    absl::StatusOr<std::string> details =
        OpenEnvelope(kAlert, tampered, signer_.public_key, filer_);
    EXPECT_EQ(details.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(details.status().message()), ::testing::HasSubstr("signature"));
  }
  EXPECT_EQ(OpenEnvelope("alerts/a2", envelope, signer_.public_key, filer_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(OpenEnvelope(kAlert, envelope,
                            SigningPairFromSeed(std::string(32, '\x01')).public_key, filer_)
                   .ok());
}

TEST_F(SealedEnvelopeTest, AMalformedEnvelopeIsReportedFieldByField) {
  const v1::SealedEnvelope good = Seal("details");

  v1::SealedEnvelope truncated = good;
  truncated.mutable_ciphertext()->resize(good.ciphertext().size() - 1);
  EXPECT_THAT(ShapeProblemFields(truncated), ElementsAre("sealed.ciphertext"));

  v1::SealedEnvelope version_two = good;
  version_two.set_format_version(2);
  EXPECT_THAT(ShapeProblemFields(version_two), ElementsAre("sealed.format_version"));

  v1::SealedEnvelope unsorted = good;
  unsorted.mutable_recipient_keys()->SwapElements(0, 1);
  EXPECT_THAT(ShapeProblemFields(unsorted), ElementsAre("sealed.recipient_keys"));

  v1::SealedEnvelope stranger = good;
  stranger.mutable_wraps(1)->set_key(outsider_.key_name);
  EXPECT_THAT(ShapeProblemFields(stranger), ElementsAre("sealed.wraps[1].key"));

  v1::SealedEnvelope missing_wrap = good;
  missing_wrap.mutable_wraps()->RemoveLast();
  EXPECT_THAT(ShapeProblemFields(missing_wrap), ElementsAre("sealed.wraps"));
  EXPECT_THAT(CheckEnvelopeShape(missing_wrap, "sealed", /*wraps_may_be_partial=*/true), IsEmpty());

  v1::SealedEnvelope short_parts = good;
  short_parts.set_nonce("n");
  short_parts.set_data_key_id("id");
  short_parts.set_signature("s");
  short_parts.mutable_wraps(0)->set_sealed_data_key("w");
  EXPECT_THAT(ShapeProblemFields(short_parts),
              ElementsAre("sealed.nonce", "sealed.data_key_id", "sealed.wraps[0].sealed_data_key",
                          "sealed.signature"));
}

}  // namespace
}  // namespace mpower
