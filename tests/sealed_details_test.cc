// Sealed details on the server: mpowerd stores an envelope it cannot open
// only when the filer signed it and sealed it to exactly the keys of the
// partners entitled to it, refuses every forgery with the field named and
// nothing written, and gives each reader only its own partner's wraps.
// On every backend.

#include <sodium.h>

#include "common/public_keys.h"
#include "common/sealed_envelope.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "server/core/alert_rules.h"
#include "server/core/encryption_key_rules.h"
#include "server/core/error_details.h"
#include "server/core/names.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPerson[] = "Wiremu Tanaka-Achterberg";
const Principal kSecretariat = Principal::System();

Principal EditorOf(const std::string& partner) {
  return Principal{Principal::Role::kPartnerEditor, partner + "-editor", "partners/" + partner};
}

// A partner's key pair as the CLI holds it: both halves of both keys.
struct KeyPair {
  std::string name;
  std::string sealing_public = std::string(crypto_box_PUBLICKEYBYTES, '\0');
  std::string sealing_secret = std::string(crypto_box_SECRETKEYBYTES, '\0');
  std::string signing_public = std::string(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string signing_secret = std::string(crypto_sign_SECRETKEYBYTES, '\0');

  KeyPair() {
    crypto_box_keypair(reinterpret_cast<unsigned char*>(sealing_public.data()),
                       reinterpret_cast<unsigned char*>(sealing_secret.data()));
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(signing_public.data()),
                        reinterpret_cast<unsigned char*>(signing_secret.data()));
  }
  EnvelopeRecipient recipient() const { return {name, sealing_public}; }
  EnvelopeSigner signer() const { return {name, signing_secret}; }
  EnvelopeOpener opener() const { return {name, sealing_public, sealing_secret}; }
};

class SealedDetailsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(SodiumReady());
    for (const char* id : {"union", "ilo", "ministry"}) {
      v1::Partner partner;
      partner.set_display_name(id);
      partner.set_type(v1::Partner::TYPE_TRADE_UNION);
      partner.set_country_code("ID");
      ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                      .Create(kSecretariat, "", id, partner, "", "")
                      .ok());
    }
    union_key_ = Publish("union", "desk");
    ilo_key_ = Publish("ilo", "geneva");
    ministry_key_ = Publish("ministry", "office");
    // Partners-wide, so the ministry reads the alert but not its details.
    v1::Alert alert;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"(filing_partner: "partners/union" category: CATEGORY_THREAT_OF_VIOLENCE
           severity: SEVERITY_SEVERE urgency: URGENCY_IMMEDIATE certainty: CERTAINTY_LIKELY
           country_code: "ID" headline: "Organiser threatened" scope: SCOPE_PARTNERS
           recipient_partners: "partners/ilo")",
        &alert));
    absl::StatusOr<v1::Alert> filed = alerts().Create(EditorOf("union"), "", "", alert, "", "");
    ASSERT_TRUE(filed.ok()) << filed.status();
    alert_ = *filed;
  }

  KeyPair Publish(const std::string& partner, const std::string& id) {
    KeyPair pair;
    const std::string parent = "partners/" + partner;
    pair.name = parent + "/encryptionKeys/" + id;
    v1::EncryptionKey key;
    key.set_sealing_public_key(pair.sealing_public);
    key.set_signing_public_key(pair.signing_public);
    key.set_proof_of_possession(SignProofOfPossession(parent, pair.sealing_public,
                                                      pair.signing_public, pair.signing_secret));
    absl::StatusOr<v1::EncryptionKey> published =
        ResourceManager<v1::EncryptionKey>(store_.get())
            .Create(EditorOf(partner), parent, id, key, "", "");
    EXPECT_TRUE(published.ok()) << published.status();
    return pair;
  }

  ResourceManager<v1::Alert> alerts() { return ResourceManager<v1::Alert>(store_.get()); }

  std::string Details(const std::string& narrative = "Threatened at the plantation gate") const {
    v1::AlertProtectedDetails details;
    details.add_people()->set_full_name(kPerson);
    details.set_narrative(narrative);
    return details.SerializeAsString();
  }

  v1::SealedEnvelope Seal(const std::vector<KeyPair>& to, const KeyPair& signer,
                          const std::string& details) {
    std::vector<EnvelopeRecipient> recipients;
    for (const KeyPair& pair : to) recipients.push_back(pair.recipient());
    absl::StatusOr<v1::SealedEnvelope> envelope =
        SealEnvelope(alert_.name(), details, recipients, signer.signer());
    EXPECT_TRUE(envelope.ok()) << envelope.status();
    return *envelope;
  }
  v1::SealedEnvelope Seal() { return Seal({union_key_, ilo_key_}, union_key_, Details()); }

  absl::StatusOr<v1::Alert> Give(const v1::SealedEnvelope& envelope,
                                 const Principal& caller = EditorOf("union")) {
    v1::Alert patch;
    patch.set_name(alert_.name());
    *patch.mutable_protected_details()->mutable_sealed() = envelope;
    google::protobuf::FieldMask mask;
    mask.add_paths("protected_details");
    return alerts().Update(caller, patch, mask);
  }

  // The details `reader` opens with `pair`, as the CLI would.
  absl::StatusOr<std::string> OpenAs(const Principal& reader, const KeyPair& pair) {
    absl::StatusOr<v1::Alert> read = alerts().Get(reader, alert_.name());
    if (!read.ok()) return read.status();
    if (!read->protected_details().has_sealed()) return absl::NotFoundError("no envelope");
    return OpenEnvelope(alert_.name(), read->protected_details().sealed(),
                        union_key_.signing_public, pair.opener());
  }

  // Whether a refused write left the alert as it was.
  void ExpectUnchanged() {
    absl::StatusOr<v1::Alert> now = alerts().Get(kSecretariat, alert_.name());
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->etag(), alert_.etag());
  }

  KeyPair union_key_, ilo_key_, ministry_key_;
  v1::Alert alert_;
};

TEST_P(SealedDetailsTest, TheFilerAndEachRecipientOpenTheDetailsAndNobodyElseReceivesThem) {
  ASSERT_TRUE(Give(Seal()).ok());

  v1::AlertProtectedDetails opened;
  absl::StatusOr<std::string> by_filer = OpenAs(EditorOf("union"), union_key_);
  ASSERT_TRUE(by_filer.ok()) << by_filer.status();
  ASSERT_TRUE(opened.ParseFromString(*by_filer));
  EXPECT_EQ(opened.people(0).full_name(), kPerson);
  absl::StatusOr<std::string> by_recipient = OpenAs(EditorOf("ilo"), ilo_key_);
  ASSERT_TRUE(by_recipient.ok()) << by_recipient.status();
  EXPECT_EQ(*by_recipient, *by_filer);

  // Each entitled reader receives only its own partner's wraps.
  absl::StatusOr<v1::Alert> as_recipient = alerts().Get(EditorOf("ilo"), alert_.name());
  ASSERT_TRUE(as_recipient.ok());
  ASSERT_EQ(as_recipient->protected_details().sealed().wraps_size(), 1);
  EXPECT_EQ(as_recipient->protected_details().sealed().wraps(0).key(), ilo_key_.name);
  EXPECT_EQ(as_recipient->protected_details().sealed().recipient_keys_size(), 2);

  // A partner that reads the alert but is not entitled receives no
  // envelope at all.
  absl::StatusOr<v1::Alert> as_bystander = alerts().Get(EditorOf("ministry"), alert_.name());
  ASSERT_TRUE(as_bystander.ok());
  EXPECT_FALSE(as_bystander->has_protected_details());
  EXPECT_TRUE(as_bystander->protected_details_present());
  // The secretariat receives every wrap (its recovery keys' among them, had
  // it published any), and opens nothing without a private key.
  absl::StatusOr<v1::Alert> as_secretariat = alerts().Get(kSecretariat, alert_.name());
  ASSERT_TRUE(as_secretariat.ok());
  EXPECT_EQ(as_secretariat->protected_details().sealed().wraps_size(), 2);
  absl::StatusOr<Page<v1::Alert>> listed = alerts().List(EditorOf("ministry"), ListParams{});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_FALSE(listed->items[0].has_protected_details());
}

TEST_P(SealedDetailsTest, AnEnvelopeMissingAnEntitledKeyIsRefusedWithTheKeysItLacks) {
  const KeyPair second_ilo_key = Publish("ilo", "jakarta");
  absl::Status refused = Give(Seal()).status();
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(second_ilo_key.name)));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("alert.protected_details.sealed.recipient_keys")));
  ExpectUnchanged();
  EXPECT_TRUE(Give(Seal({union_key_, ilo_key_, second_ilo_key}, union_key_, Details())).ok());
}

TEST_P(SealedDetailsTest, AKeyOfAPartnerNotEntitledIsRefusedByName) {
  EXPECT_THAT(Give(Seal({union_key_, ilo_key_, ministry_key_}, union_key_, Details())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("alert.protected_details.sealed.recipient_keys[")));
  ExpectUnchanged();
}

TEST_P(SealedDetailsTest, AnEntitledPartnerWithoutKeysCannotBeSealedTo) {
  v1::Partner partner;
  partner.set_display_name("keyless");
  partner.set_type(v1::Partner::TYPE_CIVIL_SOCIETY);
  partner.set_country_code("ID");
  ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                  .Create(kSecretariat, "", "keyless", partner, "", "")
                  .ok());
  v1::Alert patch;
  patch.set_name(alert_.name());
  patch.add_recipient_partners("partners/ilo");
  patch.add_recipient_partners("partners/keyless");
  *patch.mutable_protected_details()->mutable_sealed() = Seal();
  google::protobuf::FieldMask mask;
  mask.add_paths("recipient_partners");
  mask.add_paths("protected_details");
  EXPECT_THAT(alerts().Update(EditorOf("union"), patch, mask),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("partners/keyless has no ACTIVE encryption key")));
  ExpectUnchanged();
}

TEST_P(SealedDetailsTest, ForgedAndTamperedEnvelopesAreRefusedWithTheFieldNamed) {
  const v1::SealedEnvelope good = Seal();
  struct Case {
    const char* what;
    v1::SealedEnvelope envelope;
    const char* field;
  };
  std::vector<Case> cases;
  {
    v1::SealedEnvelope bad_signature = good;
    (*bad_signature.mutable_signature())[0] ^= 1;
    cases.push_back({"a bad signature", bad_signature, "sealed.signature"});
  }
  cases.push_back({"signed by another partner's key",
                   Seal({union_key_, ilo_key_}, ilo_key_, Details()), "sealed.signing_key"});
  {
    // Claims the filer's key, but another key signed.
    v1::SealedEnvelope impostor = Seal({union_key_, ilo_key_}, ilo_key_, Details());
    impostor.set_signing_key(union_key_.name);
    cases.push_back(
        {"a signature by another key under the filer's name", impostor, "sealed.signature"});
  }
  {
    v1::SealedEnvelope swapped = good;
    swapped.set_ciphertext(Seal().ciphertext());
    cases.push_back({"ciphertext swapped in from another envelope", swapped, "sealed.signature"});
  }
  {
    v1::Alert other = alert_;
    other.clear_name();
    other.clear_etag();
    absl::StatusOr<v1::Alert> filed = alerts().Create(EditorOf("union"), "", "", other, "", "");
    ASSERT_TRUE(filed.ok());
    absl::StatusOr<v1::SealedEnvelope> for_other =
        SealEnvelope(filed->name(), Details(), {union_key_.recipient(), ilo_key_.recipient()},
                     union_key_.signer());
    ASSERT_TRUE(for_other.ok());
    cases.push_back({"sealed for another alert", *for_other, "sealed.signature"});
  }
  {
    v1::SealedEnvelope fewer_wraps = good;
    fewer_wraps.mutable_wraps()->RemoveLast();
    cases.push_back({"a wrap removed after signing", fewer_wraps, "sealed.wraps"});
    v1::SealedEnvelope fewer_keys = fewer_wraps;
    fewer_keys.mutable_recipient_keys()->RemoveLast();
    cases.push_back({"a key and its wrap removed after signing", fewer_keys, "sealed.signature"});
  }
  {
    v1::SealedEnvelope truncated = good;
    truncated.mutable_ciphertext()->resize(100);
    cases.push_back({"a truncated envelope", truncated, "sealed.ciphertext"});
    v1::SealedEnvelope future = good;
    future.set_format_version(2);
    cases.push_back({"a format this server does not read", future, "sealed.format_version"});
  }
  for (const Case& c : cases) {
    EXPECT_THAT(Give(c.envelope), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)))
        << c.what;
    ExpectUnchanged();
  }
}

TEST_P(SealedDetailsTest, AnEnvelopeSentBackAsReadChangesNothingAndNewDetailsNeedANewDataKey) {
  absl::StatusOr<v1::Alert> given = Give(Seal());
  ASSERT_TRUE(given.ok()) << given.status();
  // The filer's read holds only its own wrap; sending it back (as an
  // update of every field does) keeps what is stored.
  absl::StatusOr<v1::Alert> read = alerts().Get(EditorOf("union"), alert_.name());
  ASSERT_TRUE(read.ok());
  absl::StatusOr<v1::Alert> again =
      alerts().Update(EditorOf("union"), *read, google::protobuf::FieldMask());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->etag(), given->etag());
  EXPECT_TRUE(OpenAs(EditorOf("ilo"), ilo_key_).ok()) << "the recipient's wrap is kept";

  // New details under the same data key are refused.
  v1::SealedEnvelope reused = read->protected_details().sealed();
  reused.set_ciphertext(Seal().ciphertext());
  EXPECT_THAT(Give(reused), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("alert.protected_details.sealed.data_key_id")));
  ASSERT_TRUE(
      Give(Seal({union_key_, ilo_key_}, union_key_, Details("Moved to a safe house"))).ok());
  v1::AlertProtectedDetails opened;
  ASSERT_TRUE(opened.ParseFromString(*OpenAs(EditorOf("ilo"), ilo_key_)));
  EXPECT_EQ(opened.narrative(), "Moved to a safe house");
}

TEST_P(SealedDetailsTest, ARemovedRecipientsWrapsGoFromEveryVersionAndItsDataKeyIsNotReused) {
  ASSERT_TRUE(Give(Seal()).ok());
  v1::Alert reordered;
  reordered.set_name(alert_.name());
  reordered.set_summary("an earlier version, sealed to the recipient too");
  google::protobuf::FieldMask summary;
  summary.add_paths("summary");
  ASSERT_TRUE(alerts().Update(EditorOf("union"), reordered, summary).ok());

  // The union stops sharing with the ILO.
  v1::Alert narrowed;
  narrowed.set_name(alert_.name());
  google::protobuf::FieldMask recipients;
  recipients.add_paths("recipient_partners");
  absl::StatusOr<v1::Alert> without_ilo = alerts().Update(EditorOf("union"), narrowed, recipients);
  ASSERT_TRUE(without_ilo.ok()) << without_ilo.status();

  // No version, the current one included, keeps a wrap for the ILO's key;
  // the filer's stay.
  absl::StatusOr<std::vector<ChangeRecord>> history = store_->ListChanges(0, "", 10000);
  ASSERT_TRUE(history.ok());
  std::vector<StoredResource> copies;
  for (const ChangeRecord& change : *history) {
    if (change.resource.name == alert_.name()) copies.push_back(change.resource);
  }
  absl::StatusOr<std::optional<StoredResource>> current = store_->Get(alert_.name());
  ASSERT_TRUE(current.ok() && current->has_value());
  copies.push_back(**current);
  int sealed_copies = 0;
  for (const StoredResource& stored : copies) {
    absl::StatusOr<v1::Alert> copy = ResourceCodec<v1::Alert>::Decode(stored);
    ASSERT_TRUE(copy.ok());
    if (!copy->protected_details().has_sealed()) continue;
    ++sealed_copies;
    for (const v1::KeyWrap& wrap : copy->protected_details().sealed().wraps()) {
      EXPECT_NE(wrap.key(), ilo_key_.name) << "revision " << stored.update_revision;
    }
    EXPECT_EQ(copy->protected_details().sealed().wraps_size(), 1);
  }
  EXPECT_GE(sealed_copies, 4) << "two versions, in the history and the current row";
  EXPECT_TRUE(OpenAs(EditorOf("union"), union_key_).ok());
  EXPECT_THAT(OpenAs(EditorOf("ilo"), ilo_key_), StatusIs(absl::StatusCode::kNotFound));

  // New details under the data key the ILO could open are refused; under
  // a new one, sealed to the union alone, they are taken, and the ILO's
  // key opens nothing of them.
  v1::SealedEnvelope reused = without_ilo->protected_details().sealed();
  reused.set_ciphertext(Seal({union_key_}, union_key_, Details("later")).ciphertext());
  EXPECT_THAT(Give(reused), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("alert.protected_details.sealed.data_key_id")));
  const v1::SealedEnvelope fresh = Seal({union_key_}, union_key_, Details("later"));
  ASSERT_TRUE(Give(fresh).ok());
  EXPECT_FALSE(
      OpenEnvelope(alert_.name(), fresh, union_key_.signing_public, ilo_key_.opener()).ok());
}

TEST_P(SealedDetailsTest, AnEnvelopeComesWithTheCreateUnderAnIdTheFilerMade) {
  v1::Alert alert = alert_;
  alert.clear_name();
  const std::string id = GenerateResourceId();
  const std::string name = "alerts/" + id;
  const auto sealed_for = [&](const std::string& alert_name, const std::vector<KeyPair>& to) {
    std::vector<EnvelopeRecipient> recipients;
    for (const KeyPair& pair : to) recipients.push_back(pair.recipient());
    absl::StatusOr<v1::SealedEnvelope> envelope =
        SealEnvelope(alert_name, Details(), recipients, union_key_.signer());
    EXPECT_TRUE(envelope.ok()) << envelope.status();
    v1::Alert with = alert;
    *with.mutable_protected_details()->mutable_sealed() = *envelope;
    return with;
  };
  const v1::Alert good = sealed_for(name, {union_key_, ilo_key_});

  // The server would make a name the envelope could not have been sealed for.
  EXPECT_THAT(alerts().Create(EditorOf("union"), "", "", good, "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alert_id: required")));
  // Sealed for another alert's name; sealed without the ILO's key.
  EXPECT_THAT(
      alerts().Create(EditorOf("union"), "", id,
                      sealed_for("alerts/" + GenerateResourceId(), {union_key_, ilo_key_}), "", ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("alert.protected_details.sealed.signature")));
  EXPECT_THAT(alerts().Create(EditorOf("union"), "", id, sealed_for(name, {union_key_}), "", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(ilo_key_.name)));
  EXPECT_THAT(alerts().Get(kSecretariat, name), StatusIs(absl::StatusCode::kNotFound))
      << "nothing was filed";
  // A partner may not choose an id that means something.
  EXPECT_THAT(alerts().Create(EditorOf("union"), "", "threat-in-jakarta", good, "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alert_id")));

  absl::StatusOr<v1::Alert> filed = alerts().Create(EditorOf("union"), "", id, good, "", "");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->name(), name);
  alert_ = *filed;
  absl::StatusOr<std::string> opened = OpenAs(EditorOf("ilo"), ilo_key_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_THAT(*opened, HasSubstr(kPerson));
  EXPECT_THAT(OpenAs(EditorOf("ministry"), ministry_key_), StatusIs(absl::StatusCode::kNotFound))
      << "the ministry reads the alert and receives no envelope";
  // The id is taken now, as any other.
  EXPECT_THAT(alerts().Create(EditorOf("union"), "", id, good, "", ""),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

// A create under another's alert id fails; the data key it made for that
// name is the alert's own now, for details its filer may be giving at that
// moment, and stays.
TEST_P(SealedDetailsTest, ACreateUnderATakenIdLeavesThatAlertsDataKey) {
  ASSERT_FALSE(store_->data_keys().Has(alert_.name())) << "filed without details: no key yet";
  v1::Alert squatter;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"(filing_partner: "partners/ministry" category: CATEGORY_OTHER severity: SEVERITY_MINOR
         urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE country_code: "ID"
         headline: "Squatting" scope: SCOPE_PARTNERS
         protected_details { narrative: "makes the name's data key" })",
      &squatter));
  const std::string id = alert_.name().substr(std::string("alerts/").size());
  EXPECT_THAT(alerts().Create(EditorOf("ministry"), "", id, squatter, "", ""),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(store_->data_keys().Has(alert_.name()));
  ASSERT_TRUE(Give(Seal()).ok());
  absl::StatusOr<std::string> opened = OpenAs(EditorOf("ilo"), ilo_key_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_THAT(*opened, HasSubstr(kPerson));
}

TEST_P(SealedDetailsTest, SealedDetailsAreReplacedOnlyBySealedOnes) {
  absl::StatusOr<v1::Alert> sealed = Give(Seal());
  ASSERT_TRUE(sealed.ok());
  alert_ = *sealed;
  v1::Alert patch;
  patch.set_name(alert_.name());
  patch.mutable_protected_details()->set_exact_location("Kampung Secret");
  google::protobuf::FieldMask mask;
  mask.add_paths("protected_details");
  EXPECT_THAT(alerts().Update(EditorOf("union"), patch, mask),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("give new ones sealed")));
  ExpectUnchanged();
}

TEST_P(SealedDetailsTest, SealedAndClearDetailsCannotBeMixed) {
  v1::Alert patch;
  patch.set_name(alert_.name());
  *patch.mutable_protected_details()->mutable_sealed() = Seal();
  patch.mutable_protected_details()->set_exact_location("Kampung Secret");
  google::protobuf::FieldMask mask;
  mask.add_paths("protected_details");
  EXPECT_THAT(alerts().Update(EditorOf("union"), patch, mask),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
  ExpectUnchanged();
}

TEST_P(SealedDetailsTest, APurgeErasesTheEnvelopeFromEveryVersion) {
  ASSERT_TRUE(Give(Seal()).ok());
  ASSERT_TRUE(Give(Seal({union_key_, ilo_key_}, union_key_, Details("second"))).ok());
  ASSERT_TRUE(alerts().Purge(EditorOf("union"), alert_.name(), "the organiser asked", "").ok());
  absl::StatusOr<std::vector<ChangeRecord>> history = store_->ListChanges(0, "", 10000);
  ASSERT_TRUE(history.ok());
  int versions = 0;
  for (const ChangeRecord& change : *history) {
    if (change.resource.name != alert_.name()) continue;
    ++versions;
    absl::StatusOr<v1::Alert> copy = ResourceCodec<v1::Alert>::Decode(change.resource);
    ASSERT_TRUE(copy.ok());
    EXPECT_FALSE(copy->has_protected_details()) << "revision " << change.revision;
  }
  EXPECT_GE(versions, 3);
}

TEST_P(SealedDetailsTest, ADataKeyOfAnyEarlierVersionIsNotReused) {
  // Two versions under two data keys, both open to the ILO; then the ILO
  // is removed. The first version's key, not the current one, comes back.
  const std::string first_data_key(kDataKeyBytes, 'k');
  absl::StatusOr<v1::SealedEnvelope> first = SealEnvelopeWith(
      alert_.name(), Details("first"), {union_key_.recipient(), ilo_key_.recipient()},
      union_key_.signer(), {first_data_key, std::string(kEnvelopeNonceBytes, 'n')});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Give(*first).ok());
  ASSERT_TRUE(Give(Seal({union_key_, ilo_key_}, union_key_, Details("second"))).ok());
  v1::Alert narrowed;
  narrowed.set_name(alert_.name());
  google::protobuf::FieldMask recipients;
  recipients.add_paths("recipient_partners");
  ASSERT_TRUE(alerts().Update(EditorOf("union"), narrowed, recipients).ok());
  absl::StatusOr<v1::Alert> before = alerts().Get(kSecretariat, alert_.name());
  ASSERT_TRUE(before.ok());

  absl::StatusOr<v1::SealedEnvelope> reused = SealEnvelopeWith(
      alert_.name(), Details("third"), {union_key_.recipient()}, union_key_.signer(),
      {first_data_key, std::string(kEnvelopeNonceBytes, 'm')});
  ASSERT_TRUE(reused.ok());
  EXPECT_THAT(Give(*reused), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("alert.protected_details.sealed.data_key_id")));
  absl::StatusOr<v1::Alert> after = alerts().Get(kSecretariat, alert_.name());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->etag(), before->etag());
  EXPECT_TRUE(Give(Seal({union_key_}, union_key_, Details("third"))).ok());
}

// The secretariat's recovery keys: the keys of a TYPE_SECRETARIAT partner,
// which only admins publish, every envelope is sealed to, and whose
// signature may reseal for a filer who lost its key.
class RecoveryKeysTest : public SealedDetailsTest {
 protected:
  void SetUp() override {
    SealedDetailsTest::SetUp();
    v1::Partner secretariat;
    secretariat.set_display_name("The partnership's secretariat");
    secretariat.set_type(v1::Partner::TYPE_SECRETARIAT);
    ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                    .Create(kSecretariat, "", "secretariat", secretariat, "", "")
                    .ok());
    recovery_key_.name = "partners/secretariat/encryptionKeys/vault";
    v1::EncryptionKey key;
    key.set_sealing_public_key(recovery_key_.sealing_public);
    key.set_signing_public_key(recovery_key_.signing_public);
    key.set_proof_of_possession(
        SignProofOfPossession("partners/secretariat", recovery_key_.sealing_public,
                              recovery_key_.signing_public, recovery_key_.signing_secret));
    // The secretariat's own editors may not publish it: only admins.
    EXPECT_THAT(ResourceManager<v1::EncryptionKey>(store_.get())
                    .Create(EditorOf("secretariat"), "partners/secretariat", "vault", key, "", ""),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("recovery keys")));
    ASSERT_TRUE(ResourceManager<v1::EncryptionKey>(store_.get())
                    .Create(kSecretariat, "partners/secretariat", "vault", key, "", "")
                    .ok());
  }

  KeyPair recovery_key_;
};

TEST_P(RecoveryKeysTest, EveryEnvelopeIsSealedToTheRecoveryKeysToo) {
  EXPECT_THAT(Give(Seal()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(recovery_key_.name)));
  ExpectUnchanged();
  ASSERT_TRUE(Give(Seal({union_key_, ilo_key_, recovery_key_}, union_key_, Details())).ok());

  // The secretariat receives the recovery key's wrap and opens the details
  // with the private half it keeps offline; a recipient only its own.
  absl::StatusOr<std::string> recovered = OpenAs(kSecretariat, recovery_key_);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(*recovered, Details());
  absl::StatusOr<v1::Alert> as_recipient = alerts().Get(EditorOf("ilo"), alert_.name());
  ASSERT_TRUE(as_recipient.ok());
  ASSERT_EQ(as_recipient->protected_details().sealed().wraps_size(), 1);
  EXPECT_EQ(as_recipient->protected_details().sealed().wraps(0).key(), ilo_key_.name);
}

TEST_P(RecoveryKeysTest, TheSecretariatResealsForAFilerWhoLostItsKey) {
  ASSERT_TRUE(Give(Seal({union_key_, ilo_key_, recovery_key_}, union_key_, Details())).ok());
  // The union's laptop is lost: it retires the key and publishes another.
  v1::EncryptionKey retired;
  retired.set_name(union_key_.name);
  google::protobuf::FieldMask state;
  state.add_paths("state");
  retired.set_state(v1::EncryptionKey::STATE_RETIRED);
  ASSERT_TRUE(ResourceManager<v1::EncryptionKey>(store_.get())
                  .Update(EditorOf("union"), retired, state)
                  .ok());
  const KeyPair new_union_key = Publish("union", "new-desk");

  // The secretariat opens with its recovery key and reseals, signing with
  // it; the union opens the result with its new key.
  absl::StatusOr<std::string> recovered = OpenAs(kSecretariat, recovery_key_);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  const v1::SealedEnvelope resealed =
      Seal({new_union_key, ilo_key_, recovery_key_}, recovery_key_, *recovered);
  absl::StatusOr<v1::Alert> given = Give(resealed, kSecretariat);
  ASSERT_TRUE(given.ok()) << given.status();
  absl::StatusOr<v1::Alert> read = alerts().Get(EditorOf("union"), alert_.name());
  ASSERT_TRUE(read.ok());
  absl::StatusOr<std::string> opened =
      OpenEnvelope(alert_.name(), read->protected_details().sealed(), recovery_key_.signing_public,
                   new_union_key.opener());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, Details());

  // A recipient's signature is no filer's and no recovery key's.
  EXPECT_THAT(Give(Seal({new_union_key, ilo_key_, recovery_key_}, ilo_key_, Details("forged")),
                   EditorOf("union")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sealed.signing_key")));
}

TEST_P(RecoveryKeysTest, OnlyAdminsMakeAPartnerTheSecretariatOrRetireItsKeys) {
  v1::Partner patch;
  patch.set_name("partners/union");
  patch.set_type(v1::Partner::TYPE_SECRETARIAT);
  google::protobuf::FieldMask type;
  type.add_paths("type");
  EXPECT_THAT(ResourceManager<v1::Partner>(store_.get()).Update(EditorOf("union"), patch, type),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("partner.type")));
  patch.set_name("partners/secretariat");
  patch.set_type(v1::Partner::TYPE_CIVIL_SOCIETY);
  patch.set_country_code("CH");
  type.add_paths("country_code");
  EXPECT_THAT(
      ResourceManager<v1::Partner>(store_.get()).Update(EditorOf("secretariat"), patch, type),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("partner.type")));

  v1::EncryptionKey retired;
  retired.set_name(recovery_key_.name);
  retired.set_state(v1::EncryptionKey::STATE_RETIRED);
  google::protobuf::FieldMask state;
  state.add_paths("state");
  EXPECT_THAT(ResourceManager<v1::EncryptionKey>(store_.get())
                  .Update(EditorOf("secretariat"), retired, state),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("recovery keys")));
  EXPECT_TRUE(
      ResourceManager<v1::EncryptionKey>(store_.get()).Update(kSecretariat, retired, state).ok());
  // With no ACTIVE recovery key there is no recovery to seal to.
  EXPECT_TRUE(Give(Seal()).ok());
}

TEST_P(RecoveryKeysTest, TheSecretariatIsNoRecipientAndAdoptsNoEditorsKeys) {
  v1::Alert patch;
  patch.set_name(alert_.name());
  patch.add_recipient_partners("partners/ilo");
  patch.add_recipient_partners("partners/secretariat");
  google::protobuf::FieldMask recipients;
  recipients.add_paths("recipient_partners");
  EXPECT_THAT(
      alerts().Update(EditorOf("union"), patch, recipients),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alert.recipient_partners[1]")));
  ExpectUnchanged();

  // The ILO's editors published a key: making the ILO the secretariat
  // would make it a recovery key unseen.
  v1::Partner ilo;
  ilo.set_name("partners/ilo");
  ilo.set_type(v1::Partner::TYPE_SECRETARIAT);
  google::protobuf::FieldMask type;
  type.add_paths("type");
  EXPECT_THAT(ResourceManager<v1::Partner>(store_.get()).Update(kSecretariat, ilo, type),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(ilo_key_.name)));
}

MPOWER_ON_EVERY_BACKEND(SealedDetailsTest);
MPOWER_ON_EVERY_BACKEND(RecoveryKeysTest);

}  // namespace
}  // namespace mpower
