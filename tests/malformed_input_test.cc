// Bad input everywhere: a table of malformed requests across every RPC,
// sent by the secretariat (who may do anything, so only the input is
// wrong). Each must end INVALID_ARGUMENT with a message naming the field,
// and change nothing: the store's revision stays where it was.

#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "google/protobuf/dynamic_message.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/partner.pb.h"
#include "server/core/credentials.h"
#include "server/demo/demo_data.h"
#include "server/service/server.h"
#include "tests/any_rpc.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::HasSubstr;

struct Row {
  const char* method;
  const char* what;     // what is wrong, for failure messages
  std::string request;  // text format
  const char* field;    // what the error message must name
};

const std::string kLong = std::string(5000, 'x');
const std::string kAlert =
    R"(filing_partner: "partners/example-union" category: CATEGORY_OTHER severity: SEVERITY_MINOR
       urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE country_code: "ID" headline: "h" )";
const std::string kFunding =
    R"(kind: KIND_FUNDING title: "t" contribution_basis: CONTRIBUTION_BASIS_ASSESSED )";

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      {"PartnerService/GetPartner", "empty id", R"(name: "partners/")", "name"},
      {"PartnerService/GetPartner", "upper case", R"(name: "partners/ILO")", "name"},
      {"PartnerService/ListPartners", "negative page size", "page_size: -1", "page_size"},
      {"PartnerService/ListPartners", "forged page token", R"(page_token: "Zm9yZ2Vk")",
       "page_token"},
      {"PartnerService/ListPartners", "filter on an unknown field", R"(filter: "colour = 1")",
       "colour"},
      {"PartnerService/CreatePartner", "bad id",
       R"(partner_id: "Bad_ID" partner { display_name: "x" type: TYPE_TRADE_UNION country_code: "ID" })",
       "partner_id"},
      {"PartnerService/CreatePartner", "oversize name",
       absl::StrCat(
           R"(partner_id: "p" partner { type: TYPE_TRADE_UNION country_code: "ID" display_name: ")",
           kLong, "\" }"),
       "partner.display_name"},
      {"PartnerService/CreatePartner", "unknown enum value",
       R"(partner_id: "p" partner { display_name: "x" type: 99 country_code: "ID" })",
       "partner.type"},
      {"PartnerService/CreatePartner", "unknown country",
       R"(partner_id: "p" partner { display_name: "x" type: TYPE_TRADE_UNION country_code: "ZZ" })",
       "partner.country_code"},
      {"PartnerService/UpdatePartner", "unknown mask path",
       R"(partner { name: "partners/ilo" } update_mask { paths: "colour" })", "update_mask"},
      {"PartnerService/DeletePartner", "nested name", R"(name: "partners/ilo/x")", "name"},
      {"InitiativeService/GetInitiative", "empty name", "", "name"},
      {"InitiativeService/ListInitiatives", "unbalanced filter", R"(filter: "(status = CLOSED")",
       "filter"},
      {"InitiativeService/CreateInitiative", "month 13",
       R"(initiative_id: "i" initiative { display_name: "x" sphere: SPHERE_DOMESTIC_ACTION status: STATUS_PIPELINE start_date { year: 2020 month: 13 day: 1 } })",
       "initiative.start_date"},
      {"InitiativeService/UpdateInitiative", "end before start",
       R"(initiative { name: "initiatives/better-work" start_date { year: 2020 month: 1 day: 1 } end_date { year: 2019 month: 1 day: 1 } } update_mask { paths: "start_date" paths: "end_date" })",
       "initiative.end_date"},
      {"InitiativeService/DeleteInitiative", "wrong collection", R"(name: "partners/ilo")", "name"},
      {"CommitmentService/GetCommitment", "partner name", R"(name: "partners/ilo")", "name"},
      {"CommitmentService/ListCommitments", "no parent id", R"(parent: "partners")", "parent"},
      {"CommitmentService/CreateCommitment", "negative amount",
       absl::StrCat(R"(parent: "partners/ilo" commitment_id: "c" commitment { )", kFunding,
                    R"(amount { currency_code: "USD" units: -5 } })"),
       "commitment.amount"},
      {"CommitmentService/CreateCommitment", "unknown currency",
       absl::StrCat(R"(parent: "partners/ilo" commitment_id: "c" commitment { )", kFunding,
                    R"(amount { currency_code: "ABC" units: 5 } })"),
       "commitment.amount"},
      {"CommitmentService/CreateCommitment", "nanos out of range",
       absl::StrCat(R"(parent: "partners/ilo" commitment_id: "c" commitment { )", kFunding,
                    R"(amount { currency_code: "USD" nanos: 2000000000 } })"),
       "commitment.amount"},
      {"CommitmentService/CreateCommitment", "overflowing disbursements",
       absl::StrCat(
           R"(parent: "partners/ilo" commitment_id: "c" commitment { )", kFunding,
           R"(amount { currency_code: "USD" units: 9223372036854775807 } progress { date { year: 2020 month: 1 day: 1 } disbursed_amount { currency_code: "USD" units: 9223372036854775807 } } progress { date { year: 2020 month: 1 day: 2 } disbursed_amount { currency_code: "USD" units: 9223372036854775807 } } })"),
       "commitment.progress"},
      {"CommitmentService/UpdateCommitment", "year 0",
       R"(commitment { name: "partners/us-gov/commitments/mpower-two-year-funding" start_date { year: 0 month: 1 day: 1 } } update_mask { paths: "start_date" })",
       "commitment.start_date"},
      {"CommitmentService/DeleteCommitment", "empty id", R"(name: "partners/us-gov/commitments/")",
       "name"},
      {"CommitmentService/UndeleteCommitment", "bad characters",
       R"(name: "partners/us-gov/commitments/a b")", "name"},
      {"CommitmentService/SyncCommitments", "item without external id",
       R"(parent: "partners/us-gov" commitments { kind: KIND_POLICY title: "t" })", "external_id"},
      {"AlertService/GetAlert", "too many segments", R"(name: "alerts/a/b")", "name"},
      {"AlertService/ListAlerts", "filter on protected details",
       R"(filter: "protected_details.people.full_name = \"x\"")", "protected_details"},
      {"AlertService/CreateAlert", "oversize headline",
       absl::StrCat(R"(alert { )", kAlert, R"( summary: ")", kLong, R"(" })"), "alert.summary"},
      {"AlertService/CreateAlert", "unknown severity",
       R"(alert { filing_partner: "partners/example-union" category: CATEGORY_OTHER severity: 42 urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE country_code: "ID" headline: "h" })",
       "alert.severity"},
      {"AlertService/CreateAlert", "time before year 1",
       absl::StrCat(R"(alert { )", kAlert, R"( occur_time { seconds: -99999999999 } })"),
       "alert.occur_time"},
      {"AlertService/UpdateAlert", "malformed name",
       R"(alert { name: "alert/x" headline: "y" } update_mask { paths: "headline" })", "name"},
      {"AlertService/DeleteAlert", "empty name", "", "name"},
      {"AlertService/UndeleteAlert", "upper case", R"(name: "alerts/ABC")", "name"},
      {"AlertService/PurgeAlert", "no reason", R"(name: "alerts/example-dismissals-honduras")",
       "reason"},
      {"ResponseService/GetResponse", "alert name", R"(name: "alerts/example-dismissals-honduras")",
       "name"},
      {"ResponseService/ListResponses", "no alert id", R"(parent: "alerts")", "parent"},
      {"ResponseService/CreateResponse", "unknown action",
       R"(parent: "alerts/example-dismissals-honduras" response { responding_partner: "partners/ilo" action: 77 })",
       "response.action"},
      {"ResponseService/UpdateResponse", "oversize note",
       absl::StrCat(
           R"(response { name: "alerts/example-detention-west-kalimantan/responses/ilo-acknowledged" note: ")",
           kLong, R"(" } update_mask { paths: "note" })"),
       "response.note"},
      {"ResponseService/DeleteResponse", "malformed name", R"(name: "alerts/x/responses/")",
       "name"},
      {"AdminService/CreateCredential", "unknown role",
       R"(credential_id: "c" credential { principal: "p" role: 9 })", "credential.role"},
      {"AdminService/ListCredentials", "negative page size", "page_size: -5", "page_size"},
      {"AdminService/RevokeCredential", "empty id", R"(name: "credentials/")", "name"},
      {"AdminService/ListAuditEntries", "forged page token", R"(page_token: "zz")", "page_token"},
      {"ChangeService/ListChanges", "negative revision", "after_revision: -1", "after_revision"},
      {"ChangeService/WatchChanges", "progress interval too short", "progress_interval_ms: 5",
       "progress_interval_ms"},
      {"ReportService/SummarizeCommitments", "unknown dimension", "group_by: 99", "group_by"},
      {"ReportService/SummarizeAlerts", "nanos out of range", "start_time { nanos: 2000000000 }",
       "start_time"},
      {"ReportService/GetCountryBrief", "three letters", R"(country_code: "IDN")", "country_code"},
      {"ReportService/ReconcileCommitments", "not a partner name", R"(partner: "ilo")", "partner"},
      {"ReportService/GetAccountabilityReport", "three letters", R"(country_code: "IDN")",
       "country_code"},
      {"ReportService/GetAccountabilityReport", "an unknown instrument", R"(instrument: 55)",
       "instrument"},
      {"ReportService/ExportActivities", "no format", "", "format"},
      {"EncryptionKeyService/GetEncryptionKey", "subscription name",
       R"(name: "partners/ilo/subscriptions/s")", "name"},
      {"EncryptionKeyService/ListEncryptionKeys", "no parent id", R"(parent: "partners")",
       "parent"},
      {"EncryptionKeyService/ListEncryptionKeys", "an unknown field in the filter",
       R"(parent: "partners/ilo" filter: "colour = \"red\"")", "filter"},
      {"EncryptionKeyService/CreateEncryptionKey", "no keys",
       R"(parent: "partners/ilo" encryption_key { display_name: "laptop" })",
       "encryption_key.sealing_public_key"},
      {"EncryptionKeyService/CreateEncryptionKey", "a short signing key",
       R"(parent: "partners/ilo" encryption_key { sealing_public_key: "0123456789abcdef0123456789abcdef" signing_public_key: "0123" proof_of_possession: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" })",
       "encryption_key.signing_public_key"},
      {"EncryptionKeyService/CreateEncryptionKey", "a proof that does not verify",
       R"(parent: "partners/ilo" encryption_key { sealing_public_key: "0123456789abcdef0123456789abcdef" signing_public_key: "0123456789abcdef0123456789abcdef" proof_of_possession: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" })",
       "encryption_key.proof_of_possession"},
      {"EncryptionKeyService/RetireEncryptionKey", "partner name", R"(name: "partners/ilo")",
       "encryption_key.name"},
      {"SubscriptionService/GetSubscription", "commitment name",
       R"(name: "partners/ilo/commitments/x")", "name"},
      {"SubscriptionService/ListSubscriptions", "no parent id", R"(parent: "partners")", "parent"},
      {"SubscriptionService/CreateSubscription", "plain http to a public host",
       R"(parent: "partners/ilo" subscription { webhook { url: "http://example.org/hook" } })",
       "subscription.webhook.url"},
      {"SubscriptionService/CreateSubscription", "a private address",
       R"(parent: "partners/ilo" subscription { webhook { url: "https://10.1.2.3/hook" } })",
       "subscription.webhook.url"},
      {"SubscriptionService/CreateSubscription", "a loopback name",
       R"(parent: "partners/ilo" subscription { webhook { url: "https://localhost:8443/" } })",
       "subscription.webhook.url"},
      {"SubscriptionService/CreateSubscription", "a malformed URL",
       R"(parent: "partners/ilo" subscription { webhook { url: "https://exa mple.org/" } })",
       "subscription.webhook.url"},
      {"SubscriptionService/CreateSubscription", "user information in the URL",
       R"(parent: "partners/ilo" subscription { webhook { url: "https://u:p@example.org/" } })",
       "subscription.webhook.url"},
      {"SubscriptionService/CreateSubscription", "no destination",
       R"(parent: "partners/ilo" subscription { display_name: "x" })", "subscription.webhook"},
      {"SubscriptionService/CreateSubscription", "an unknown collection",
       R"(parent: "partners/ilo" subscription { collections: 42 email { addresses: "a@example.org" } })",
       "subscription.collections"},
      {"SubscriptionService/CreateSubscription", "an unknown category",
       R"(parent: "partners/ilo" subscription { alert_categories: 99 email { addresses: "a@example.org" } })",
       "subscription.alert_categories"},
      {"SubscriptionService/CreateSubscription", "too many addresses",
       R"(parent: "partners/ilo" subscription { email { addresses: "a1@example.org" addresses: "a2@example.org" addresses: "a3@example.org" addresses: "a4@example.org" addresses: "a5@example.org" addresses: "a6@example.org" addresses: "a7@example.org" addresses: "a8@example.org" addresses: "a9@example.org" addresses: "a10@example.org" addresses: "a11@example.org" } })",
       "subscription.email.addresses"},
      {"SubscriptionService/CreateSubscription", "not an address",
       R"(parent: "partners/ilo" subscription { email { addresses: "desk\r\nRCPT TO:<x@y.org>" } })",
       "subscription.email.addresses[0]"},
      {"SubscriptionService/UpdateSubscription", "unknown mask path",
       R"(subscription { name: "partners/ilo/subscriptions/s" } update_mask { paths: "colour" })",
       "update_mask"},
      {"SubscriptionService/DeleteSubscription", "empty name", "", "name"},
      {"SubscriptionService/TestSubscription", "partner name", R"(name: "partners/ilo")", "name"},
      {"SubscriptionService/ReplaySubscription", "negative revision",
       R"(name: "partners/ilo/subscriptions/s" after_revision: -1)", "after_revision"},
  };
  return rows;
}

class MalformedInputTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(LoadDemoData(store_.get()).ok());
    v1::Credential admin;
    admin.set_principal("secretariat");
    admin.set_role(v1::ROLE_ADMIN);
    auto issued = CredentialManager(store_.get()).Create(Principal::System(), "admin", admin);
    ASSERT_TRUE(issued.ok());
    token_ = issued->token;
    auto server = MpowerServer::Start(store_.get(), {.listen_address = "127.0.0.1:0"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }

  std::unique_ptr<MpowerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
};

TEST_P(MalformedInputTest, EveryRpcRejectsBadInputNamingTheFieldAndChangesNothing) {
  const absl::StatusOr<int64_t> before = store_->CurrentRevision();
  ASSERT_TRUE(before.ok());
  for (const Row& row : Rows()) {
    const grpc::Status status = testing::CallAnyMethod(channel_, row.method, row.request, token_);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << row.method << " with " << row.what << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(row.field)) << row.method << " with " << row.what;
    EXPECT_EQ(*store_->CurrentRevision(), *before)
        << row.method << " with " << row.what << " changed the store";
  }
}

// Eight bytes of valid UTF-8 standing for a string, and eight that are not
// UTF-8 ("\xc3\x28" is a lead byte followed by no continuation) to put in
// its place once the request is serialized.
constexpr std::string_view kMarker = "UTF8MARK";
constexpr std::string_view kNotUtf8 =
    "\xc3\x28"
    "BADUTF";

// Sets the first string field of `message`, depth first, to kMarker and
// returns its path as mpower names it ("alert.filing_partner",
// "commitments[0].external_id"), or "" if the message holds no string.
std::string SetFirstString(google::protobuf::Message* message, int depth = 0) {
  const google::protobuf::Descriptor& type = *message->GetDescriptor();
  const google::protobuf::Reflection& reflection = *message->GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type.field(i);
    if (field->is_map()) continue;
    const std::string index = field->is_repeated() ? "[0]" : "";
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        reflection.AddString(message, field, std::string(kMarker));
      } else {
        reflection.SetString(message, field, std::string(kMarker));
      }
      return field->name() + index;
    }
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE && depth < 3) {
      google::protobuf::Message* nested = field->is_repeated()
                                              ? reflection.AddMessage(message, field)
                                              : reflection.MutableMessage(message, field);
      const std::string path = SetFirstString(nested, depth + 1);
      if (!path.empty()) return absl::StrCat(field->name(), index, ".", path);
      if (field->is_repeated()) {
        reflection.RemoveLast(message, field);
      } else {
        reflection.ClearField(message, field);
      }
    }
  }
  return "";
}

// Every RPC, sent a request whose first string field is not UTF-8: protobuf
// refuses to parse it, and mpower (which parses requests itself) answers
// INVALID_ARGUMENT naming the field, where gRPC alone would answer
// UNIMPLEMENTED with no message. Nothing changes.
TEST_P(MalformedInputTest, EveryRpcRefusesAStringThatIsNotUtf8NamingTheField) {
  const int64_t before = *store_->CurrentRevision();
  int methods_tried = 0;
  for (const std::string& method : testing::AllMpowerMethods(MPOWER_PROTO_DIR)) {
    const google::protobuf::MethodDescriptor* descriptor = testing::FindMpowerMethod(method);
    ASSERT_NE(descriptor, nullptr) << method;
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(descriptor->input_type())
            ->New());
    const std::string field = SetFirstString(request.get());
    // SummarizeAlerts takes times and enums only; GetServerInfo nothing.
    if (field.empty()) continue;
    ++methods_tried;
    std::string bytes = request->SerializeAsString();
    bytes.replace(bytes.find(kMarker), kMarker.size(), kNotUtf8);

    const grpc::Status status = testing::CallAnyMethodWithBytes(channel_, method, bytes, token_);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(field + ": is not valid UTF-8")) << method;
    EXPECT_EQ(*store_->CurrentRevision(), before) << method << " changed the store";
  }
  EXPECT_EQ(methods_tried, 51);
}

// A sync is a stream of chunks. One that does not parse must end the sync
// with nothing applied: were it taken for the end of the stream, a mirror
// sync would apply the first chunk alone and withdraw every commitment the
// rest of the set still held.
TEST_P(MalformedInputTest, ASyncChunkThatIsNotUtf8EndsTheSyncWithNothingApplied) {
  const int64_t before = *store_->CurrentRevision();
  v1::SyncCommitmentsRequest first;
  first.set_parent("partners/us-gov");
  first.set_mirror(true);
  v1::Commitment* kept = first.add_commitments();
  kept->set_external_id("only-this-one");
  kept->set_kind(v1::Commitment::KIND_POLICY);
  kept->set_title("A policy");
  v1::SyncCommitmentsRequest second;
  second.set_parent("partners/us-gov");
  second.set_mirror(true);
  v1::Commitment* broken = second.add_commitments();
  broken->set_external_id("second");
  broken->set_kind(v1::Commitment::KIND_POLICY);
  broken->set_title(std::string(kMarker));
  std::string broken_bytes = second.SerializeAsString();
  broken_bytes.replace(broken_bytes.find(kMarker), kMarker.size(), kNotUtf8);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("authorization", "Bearer " + token_);
  grpc::GenericStub stub(channel_);
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, "/mpower.v1.CommitmentService/SyncCommitments", &queue);
  void* tag = nullptr;
  bool ok = false;
  auto await = [&](intptr_t expected) {
    ASSERT_TRUE(queue.Next(&tag, &ok));
    ASSERT_EQ(reinterpret_cast<intptr_t>(tag), expected);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  await(1);
  for (const std::string& bytes : {first.SerializeAsString(), broken_bytes}) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    await(2);
  }
  call->WritesDone(reinterpret_cast<void*>(3));
  await(3);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  await(4);
  EXPECT_FALSE(ok) << "the sync answered with outcomes, so it applied something";
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  await(5);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("message 2 of the sync"));
  EXPECT_THAT(status.error_message(), HasSubstr("commitments[0].title: is not valid UTF-8"));
  EXPECT_EQ(*store_->CurrentRevision(), before);
  EXPECT_TRUE(testing::CallAnyMethod(
                  channel_, "CommitmentService/GetCommitment",
                  R"(name: "partners/us-gov/commitments/mpower-two-year-funding")", token_)
                  .ok())
      << "a commitment the set did not list was withdrawn";
}

TEST_P(MalformedInputTest, TheTableCoversEveryRpc) {
  std::set<std::string> covered;
  for (const Row& row : Rows()) covered.insert(row.method);
  for (const std::string& method : testing::AllMpowerMethods(MPOWER_PROTO_DIR)) {
    // A request without fields (GetServerInfo's) has nothing to get wrong.
    if (testing::FindMpowerMethod(method)->input_type()->field_count() == 0) continue;
    EXPECT_TRUE(covered.count(method)) << method << " has no malformed-input row";
  }
}

MPOWER_ON_EVERY_BACKEND(MalformedInputTest);

}  // namespace
}  // namespace mpower
