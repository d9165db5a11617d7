// Every RPC, as every role, on the caller's own partner's resources and on
// another partner's, against a real server: the exact code each returns.
// A method of any mpower service missing from the table fails the test, so
// a new RPC cannot ship without its access rules being decided here.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <future>
#include <optional>
#include <set>

#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "mpower/v1/admin.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
#include "mpower/v1/report.grpc.pb.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/credentials.h"
#include "server/core/encryption_key_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"
#include "server/core/subscription_rules.h"
#include "server/service/server.h"
#include "tests/any_rpc.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using grpc::StatusCode;
namespace fs = std::filesystem;

// The callers, in the order of each row's expected codes.
enum Caller { kAdmin, kEditor, kViewer, kPublic, kAnonymous, kCallerCount };
const char* const kCallerNames[] = {"admin", "alpha editor", "alpha viewer", "public reader",
                                    "anonymous"};

constexpr StatusCode OK = StatusCode::OK;
constexpr StatusCode UA = StatusCode::UNAUTHENTICATED;
constexpr StatusCode PD = StatusCode::PERMISSION_DENIED;
constexpr StatusCode FP = StatusCode::FAILED_PRECONDITION;
constexpr StatusCode IA = StatusCode::INVALID_ARGUMENT;

struct Case {
  const char* method;   // "PartnerService/GetPartner"
  const char* target;   // what the row exercises, for failure messages
  const char* request;  // text format
  StatusCode expected[kCallerCount];
};

// A key pair with its proof of possession for each partner, in text format.
#define MPOWER_ALPHA_KEY \
  R"(sealing_public_key: "\140\064\156\174\221\032\137\153\241\124\022\221\164\312\376\165\262\224\254\073\275\125\111\143\057\110\316\306\046\157\204\020" signing_public_key: "\212\210\343\335\164\011\361\225\375\122\333\055\074\272\135\162\312\147\011\277\035\224\022\033\363\164\210\001\264\017\157\134" proof_of_possession: "\174\344\147\242\167\066\171\072\040\253\333\102\013\322\364\003\121\227\206\121\130\353\371\260\154\241\167\021\250\242\001\356\236\114\316\143\301\221\165\262\167\047\066\053\362\234\362\066\253\363\250\350\312\031\040\277\221\160\312\376\122\170\333\000")"
#define MPOWER_BETA_KEY \
  R"(sealing_public_key: "\140\064\156\174\221\032\137\153\241\124\022\221\164\312\376\165\262\224\254\073\275\125\111\143\057\110\316\306\046\157\204\020" signing_public_key: "\212\210\343\335\164\011\361\225\375\122\333\055\074\272\135\162\312\147\011\277\035\224\022\033\363\164\210\001\264\017\157\134" proof_of_possession: "\313\351\265\230\267\345\312\336\364\235\363\124\372\101\221\274\317\153\007\244\374\164\304\062\156\301\234\244\334\076\123\331\270\353\136\025\066\115\131\365\070\041\055\036\154\264\021\067\354\067\157\167\077\063\360\030\017\020\131\177\312\070\253\010")"
constexpr char kAlphaKey[] = MPOWER_ALPHA_KEY;
constexpr char kBetaKey[] = MPOWER_BETA_KEY;

// The fixture's world. The callers act for partners/alpha; partners/beta
// is someone else; partners/gamma is the only recipient of beta's
// restricted alert.
const Case kCases[] = {
    // Partners: everyone with access reads; the secretariat onboards and
    // removes; a partner edits only its own profile.
    {"PartnerService/GetPartner", "own", R"(name: "partners/alpha")", {OK, OK, OK, OK, UA}},
    {"PartnerService/GetPartner", "other", R"(name: "partners/beta")", {OK, OK, OK, OK, UA}},
    {"PartnerService/ListPartners", "all", "", {OK, OK, OK, OK, UA}},
    {"PartnerService/CreatePartner",
     "new",
     R"(partner_id: "new" partner { display_name: "N" type: TYPE_TRADE_UNION country_code: "ID" })",
     {OK, PD, PD, UA, UA}},
    {"PartnerService/UpdatePartner",
     "own",
     R"(partner { name: "partners/alpha" description: "d" } update_mask { paths: "description" })",
     {OK, OK, PD, UA, UA}},
    {"PartnerService/UpdatePartner",
     "other",
     R"(partner { name: "partners/beta" description: "d" } update_mask { paths: "description" })",
     {OK, PD, PD, UA, UA}},
    {"PartnerService/DeletePartner",
     "own (referenced)",
     R"(name: "partners/alpha")",
     {FP, PD, PD, UA, UA}},
    {"PartnerService/DeletePartner",
     "other (unreferenced)",
     R"(name: "partners/delta")",
     {OK, PD, PD, UA, UA}},
    // Initiatives: the secretariat keeps them.
    {"InitiativeService/GetInitiative",
     "any",
     R"(name: "initiatives/shared")",
     {OK, OK, OK, OK, UA}},
    {"InitiativeService/ListInitiatives", "all", "", {OK, OK, OK, OK, UA}},
    {"InitiativeService/CreateInitiative",
     "new",
     R"(initiative_id: "new" initiative { display_name: "N" sphere: SPHERE_DOMESTIC_ACTION status: STATUS_PIPELINE })",
     {OK, PD, PD, UA, UA}},
    {"InitiativeService/UpdateInitiative",
     "any",
     R"(initiative { name: "initiatives/shared" description: "d" } update_mask { paths: "description" })",
     {OK, PD, PD, UA, UA}},
    {"InitiativeService/DeleteInitiative",
     "any",
     R"(name: "initiatives/unused")",
     {OK, PD, PD, UA, UA}},
    // Commitments: public record; each partner keeps its own.
    {"CommitmentService/GetCommitment",
     "own",
     R"(name: "partners/alpha/commitments/c")",
     {OK, OK, OK, OK, UA}},
    {"CommitmentService/GetCommitment",
     "other",
     R"(name: "partners/beta/commitments/c")",
     {OK, OK, OK, OK, UA}},
    {"CommitmentService/ListCommitments", "all", R"(parent: "partners/-")", {OK, OK, OK, OK, UA}},
    {"CommitmentService/CreateCommitment",
     "own",
     R"(parent: "partners/alpha" commitment { kind: KIND_POLICY title: "t" })",
     {OK, OK, PD, UA, UA}},
    {"CommitmentService/CreateCommitment",
     "other",
     R"(parent: "partners/beta" commitment { kind: KIND_POLICY title: "t" })",
     {OK, PD, PD, UA, UA}},
    {"CommitmentService/UpdateCommitment",
     "own",
     R"(commitment { name: "partners/alpha/commitments/c" title: "u" } update_mask { paths: "title" })",
     {OK, OK, PD, UA, UA}},
    {"CommitmentService/UpdateCommitment",
     "other",
     R"(commitment { name: "partners/beta/commitments/c" title: "u" } update_mask { paths: "title" })",
     {OK, PD, PD, UA, UA}},
    {"CommitmentService/DeleteCommitment",
     "own",
     R"(name: "partners/alpha/commitments/c")",
     {OK, OK, PD, UA, UA}},
    {"CommitmentService/DeleteCommitment",
     "other",
     R"(name: "partners/beta/commitments/c")",
     {OK, PD, PD, UA, UA}},
    {"CommitmentService/UndeleteCommitment",
     "own",
     R"(name: "partners/alpha/commitments/gone")",
     {OK, OK, PD, UA, UA}},
    {"CommitmentService/UndeleteCommitment",
     "other",
     R"(name: "partners/beta/commitments/gone")",
     {OK, PD, PD, UA, UA}},
    {"CommitmentService/SyncCommitments",
     "own",
     R"(parent: "partners/alpha" commitments { external_id: "x" kind: KIND_POLICY title: "t" })",
     {OK, OK, PD, UA, UA}},
    {"CommitmentService/SyncCommitments",
     "other",
     R"(parent: "partners/beta" commitments { external_id: "x" kind: KIND_POLICY title: "t" })",
     {OK, PD, PD, UA, UA}},
    // Alerts: read by scope; only the filer changes one. An alert the caller
    // may not read is PERMISSION_DENIED exactly as a missing one.
    {"AlertService/GetAlert", "own", R"(name: "alerts/alpha-partners")", {OK, OK, OK, PD, UA}},
    {"AlertService/GetAlert",
     "other, partners scope",
     R"(name: "alerts/beta-partners")",
     {OK, OK, OK, PD, UA}},
    {"AlertService/GetAlert",
     "other, public scope",
     R"(name: "alerts/beta-public")",
     {OK, OK, OK, OK, UA}},
    {"AlertService/GetAlert",
     "other, restricted to gamma",
     R"(name: "alerts/beta-restricted")",
     {OK, PD, PD, PD, UA}},
    {"AlertService/GetAlert",
     "missing",
     R"(name: "alerts/no-such-alert")",
     {StatusCode::NOT_FOUND, PD, PD, PD, UA}},
    {"AlertService/ListAlerts", "all", "", {OK, OK, OK, OK, UA}},
    {"AlertService/CreateAlert",
     "own",
     R"(alert { filing_partner: "partners/alpha" category: CATEGORY_OTHER severity: SEVERITY_MINOR urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE country_code: "ID" headline: "h" })",
     {OK, OK, PD, UA, UA}},
    {"AlertService/CreateAlert",
     "own, choosing its id (only the secretariat may)",
     R"(alert_id: "chosen" alert { filing_partner: "partners/alpha" category: CATEGORY_OTHER severity: SEVERITY_MINOR urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE country_code: "ID" headline: "h" })",
     {OK, IA, IA, UA, UA}},
    {"AlertService/CreateAlert",
     "other",
     R"(alert { filing_partner: "partners/beta" category: CATEGORY_OTHER severity: SEVERITY_MINOR urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE country_code: "ID" headline: "h" })",
     {OK, PD, PD, UA, UA}},
    {"AlertService/UpdateAlert",
     "own",
     R"(alert { name: "alerts/alpha-partners" status: STATUS_VERIFIED } update_mask { paths: "status" })",
     {OK, OK, PD, UA, UA}},
    {"AlertService/UpdateAlert",
     "other, readable",
     R"(alert { name: "alerts/beta-partners" status: STATUS_VERIFIED } update_mask { paths: "status" })",
     {OK, PD, PD, UA, UA}},
    {"AlertService/UpdateAlert",
     "other, restricted: cannot join its recipients",
     R"(alert { name: "alerts/beta-restricted" recipient_partners: "partners/alpha" } update_mask { paths: "recipient_partners" })",
     {OK, PD, PD, UA, UA}},
    {"AlertService/DeleteAlert", "own", R"(name: "alerts/alpha-partners")", {OK, OK, PD, UA, UA}},
    {"AlertService/DeleteAlert", "other", R"(name: "alerts/beta-partners")", {OK, PD, PD, UA, UA}},
    {"AlertService/UndeleteAlert", "own", R"(name: "alerts/alpha-gone")", {OK, OK, PD, UA, UA}},
    {"AlertService/UndeleteAlert", "other", R"(name: "alerts/beta-gone")", {OK, PD, PD, UA, UA}},
    {"AlertService/PurgeAlert",
     "own",
     R"(name: "alerts/alpha-partners" reason: "asked to be forgotten")",
     {OK, OK, PD, UA, UA}},
    {"AlertService/PurgeAlert",
     "other, readable",
     R"(name: "alerts/beta-partners" reason: "asked to be forgotten")",
     {OK, PD, PD, UA, UA}},
    // Responses: as visible as their alert; recorded in one's own name.
    {"ResponseService/GetResponse",
     "own",
     R"(name: "alerts/beta-partners/responses/by-alpha")",
     {OK, OK, OK, PD, UA}},
    {"ResponseService/GetResponse",
     "other",
     R"(name: "alerts/beta-partners/responses/by-beta")",
     {OK, OK, OK, PD, UA}},
    {"ResponseService/GetResponse",
     "on an alert restricted to gamma",
     R"(name: "alerts/beta-restricted/responses/by-gamma")",
     {OK, PD, PD, PD, UA}},
    {"ResponseService/ListResponses", "all", R"(parent: "alerts/-")", {OK, OK, OK, OK, UA}},
    {"ResponseService/CreateResponse",
     "own",
     R"(parent: "alerts/beta-partners" response { responding_partner: "partners/alpha" action: ACTION_MONITORING })",
     {OK, OK, PD, UA, UA}},
    {"ResponseService/CreateResponse",
     "other",
     R"(parent: "alerts/beta-partners" response { responding_partner: "partners/beta" action: ACTION_MONITORING })",
     {OK, PD, PD, UA, UA}},
    {"ResponseService/CreateResponse",
     "own, on an alert restricted to gamma",
     R"(parent: "alerts/beta-restricted" response { responding_partner: "partners/alpha" action: ACTION_MONITORING })",
     {OK, PD, PD, UA, UA}},
    {"ResponseService/UpdateResponse",
     "own",
     R"(response { name: "alerts/beta-partners/responses/by-alpha" note: "n" } update_mask { paths: "note" })",
     {OK, OK, PD, UA, UA}},
    {"ResponseService/UpdateResponse",
     "other",
     R"(response { name: "alerts/beta-partners/responses/by-beta" note: "n" } update_mask { paths: "note" })",
     {OK, PD, PD, UA, UA}},
    {"ResponseService/DeleteResponse",
     "own",
     R"(name: "alerts/beta-partners/responses/by-alpha")",
     {OK, OK, PD, UA, UA}},
    {"ResponseService/DeleteResponse",
     "other",
     R"(name: "alerts/beta-partners/responses/by-beta")",
     {OK, PD, PD, UA, UA}},
    // Administration: the secretariat only.
    {"AdminService/CreateCredential",
     "new",
     R"(credential_id: "new" credential { principal: "p" role: ROLE_PARTNER_VIEWER partner: "partners/alpha" })",
     {OK, PD, PD, UA, UA}},
    {"AdminService/ListCredentials", "all", "", {OK, PD, PD, UA, UA}},
    {"AdminService/RevokeCredential",
     "other",
     R"(name: "credentials/beta-editor")",
     {OK, PD, PD, UA, UA}},
    {"AdminService/ListAuditEntries", "all", "", {OK, PD, PD, UA, UA}},
    // Partners' public keys: every caller with credentials reads them all
    // (never the anonymous public reader); a partner's editors publish and
    // retire its own, the secretariat anyone's. The proofs sign each
    // partner's name.
    {"EncryptionKeyService/GetEncryptionKey",
     "own",
     R"(name: "partners/alpha/encryptionKeys/k")",
     {OK, OK, OK, UA, UA}},
    {"EncryptionKeyService/GetEncryptionKey",
     "other",
     R"(name: "partners/beta/encryptionKeys/k")",
     {OK, OK, OK, UA, UA}},
    {"EncryptionKeyService/ListEncryptionKeys",
     "all",
     R"(parent: "partners/-")",
     {OK, OK, OK, UA, UA}},
    {"EncryptionKeyService/CreateEncryptionKey",
     "own",
     R"(parent: "partners/alpha" encryption_key { )" MPOWER_ALPHA_KEY " }",
     {OK, OK, PD, UA, UA}},
    {"EncryptionKeyService/CreateEncryptionKey",
     "other",
     R"(parent: "partners/beta" encryption_key { )" MPOWER_BETA_KEY " }",
     {OK, PD, PD, UA, UA}},
    {"EncryptionKeyService/RetireEncryptionKey",
     "own",
     R"(name: "partners/alpha/encryptionKeys/k")",
     {OK, OK, PD, UA, UA}},
    {"EncryptionKeyService/RetireEncryptionKey",
     "other",
     R"(name: "partners/beta/encryptionKeys/k")",
     {OK, PD, PD, UA, UA}},
    // What the server runs: anyone with credentials, never the public.
    {"ServerInfoService/GetServerInfo", "the server", "", {OK, OK, OK, UA, UA}},
    // Subscriptions: a partner's own business. Its editors manage them, its
    // viewers read them, the secretariat does both; nobody else learns
    // they exist. A ping or a replay is an edit.
    {"SubscriptionService/GetSubscription",
     "own",
     R"(name: "partners/alpha/subscriptions/s")",
     {OK, OK, OK, PD, UA}},
    {"SubscriptionService/GetSubscription",
     "other",
     R"(name: "partners/beta/subscriptions/s")",
     {OK, PD, PD, PD, UA}},
    {"SubscriptionService/ListSubscriptions",
     "all",
     R"(parent: "partners/-")",
     {OK, OK, OK, OK, UA}},
    {"SubscriptionService/CreateSubscription",
     "own",
     R"(parent: "partners/alpha" subscription { email { addresses: "a@example.org" } })",
     {OK, OK, PD, UA, UA}},
    {"SubscriptionService/CreateSubscription",
     "other",
     R"(parent: "partners/beta" subscription { email { addresses: "a@example.org" } })",
     {OK, PD, PD, UA, UA}},
    {"SubscriptionService/CreateSubscription",
     "secretariat scope",
     R"(parent: "partners/alpha" subscription { email { addresses: "a@example.org" }
                                                secretariat_scope: true })",
     {OK, PD, PD, UA, UA}},
    {"SubscriptionService/UpdateSubscription",
     "own",
     R"(subscription { name: "partners/alpha/subscriptions/s" display_name: "x" }
        update_mask { paths: "display_name" })",
     {OK, OK, PD, UA, UA}},
    {"SubscriptionService/UpdateSubscription",
     "other",
     R"(subscription { name: "partners/beta/subscriptions/s" display_name: "x" }
        update_mask { paths: "display_name" })",
     {OK, PD, PD, UA, UA}},
    {"SubscriptionService/DeleteSubscription",
     "own",
     R"(name: "partners/alpha/subscriptions/s")",
     {OK, OK, PD, UA, UA}},
    {"SubscriptionService/DeleteSubscription",
     "other",
     R"(name: "partners/beta/subscriptions/s")",
     {OK, PD, PD, UA, UA}},
    {"SubscriptionService/TestSubscription",
     "own",
     R"(name: "partners/alpha/subscriptions/s")",
     {OK, OK, PD, PD, UA}},
    {"SubscriptionService/TestSubscription",
     "other",
     R"(name: "partners/beta/subscriptions/s")",
     {OK, PD, PD, PD, UA}},
    {"SubscriptionService/ReplaySubscription",
     "own",
     R"(name: "partners/alpha/subscriptions/s")",
     {OK, OK, PD, PD, UA}},
    {"SubscriptionService/ReplaySubscription",
     "other",
     R"(name: "partners/beta/subscriptions/s")",
     {OK, PD, PD, PD, UA}},
    // The change feed: any reader, each change filtered and redacted as Get.
    {"ChangeService/ListChanges", "all", "", {OK, OK, OK, OK, UA}},
    {"ChangeService/WatchChanges", "all", "", {OK, OK, OK, OK, UA}},
    // Reports: any reader, each over what that reader may read (alert
    // statistics count alerts the reader cannot see, and show no content).
    {"ReportService/SummarizeCommitments",
     "all",
     R"(group_by: COMMITMENT_DIMENSION_PARTNER)",
     {OK, OK, OK, OK, UA}},
    {"ReportService/SummarizeAlerts",
     "all",
     R"(group_by: ALERT_DIMENSION_COUNTRY)",
     {OK, OK, OK, OK, UA}},
    {"ReportService/GetCountryBrief", "ID", R"(country_code: "ID")", {OK, OK, OK, OK, UA}},
    {"ReportService/ReconcileCommitments", "all", "", {OK, OK, OK, OK, UA}},
    {"ReportService/GetAccountabilityReport", "all", "", {OK, OK, OK, OK, UA}},
    {"ReportService/ExportActivities",
     "all",
     R"(format: EXPORT_FORMAT_IATI_XML)",
     {OK, OK, OK, OK, UA}},
};

template <typename T>
absl::Status Create(Store* store, absl::string_view parent, absl::string_view id,
                    const std::string& text) {
  T resource;
  if (!google::protobuf::TextFormat::ParseFromString(text, &resource)) {
    return absl::InternalError(text);
  }
  return ResourceManager<T>(store)
      .Create(Principal::System(), parent, id, resource, "", "")
      .status();
}

class AuthorizationTest : public ::testing::TestWithParam<testing::Backend> {
 protected:
  // Builds the world once per backend; each case runs on its own copy.
  static void SetUpWorld(testing::Backend backend) {
    if (world_backend_ == backend) return;
    TearDownTestSuite();
    world_backend_ = backend;
    base_ = new testing::TempDir();
    tokens_ = new std::map<Caller, std::string>();
    if (backend == testing::Backend::kPostgres) {
      base_database_ = new testing::PostgresTestDatabase();
      ASSERT_EQ(base_database_->error(), "");
    }
    auto keyring = Keyring::LoadOrCreate(base_->path() + "/keys");
    ASSERT_TRUE(keyring.ok());
    auto opened =
        testing::OpenStore(backend, base_->path() + "/mpower.db", base_database_, keyring->get());
    ASSERT_TRUE(opened.ok()) << opened.status();
    Store* store = opened->get();
    const char* kUnion = R"(display_name: "U" type: TYPE_TRADE_UNION country_code: "ID")";
    for (const char* id : {"alpha", "beta", "gamma", "delta"}) {
      ASSERT_TRUE(Create<v1::Partner>(store, "", id, kUnion).ok());
    }
    const char* kInitiative =
        R"(display_name: "I" sphere: SPHERE_DOMESTIC_ACTION status: STATUS_PIPELINE
           participants { partner: "partners/alpha" role: PARTICIPANT_ROLE_FUNDING })";
    ASSERT_TRUE(Create<v1::Initiative>(store, "", "shared", kInitiative).ok());
    ASSERT_TRUE(Create<v1::Initiative>(
                    store, "", "unused",
                    R"(display_name: "I" sphere: SPHERE_DOMESTIC_ACTION status: STATUS_PIPELINE)")
                    .ok());
    for (const char* partner : {"partners/alpha", "partners/beta"}) {
      ASSERT_TRUE(
          Create<v1::Commitment>(store, partner, "c", R"(kind: KIND_POLICY title: "t")").ok());
      ASSERT_TRUE(
          Create<v1::Commitment>(store, partner, "gone", R"(kind: KIND_POLICY title: "t")").ok());
      ASSERT_TRUE(ResourceManager<v1::Commitment>(store)
                      .Delete(Principal::System(), std::string(partner) + "/commitments/gone", "")
                      .ok());
    }
    const std::string alert =
        R"(category: CATEGORY_OTHER severity: SEVERITY_MINOR urgency: URGENCY_FUTURE
           certainty: CERTAINTY_POSSIBLE country_code: "ID" headline: "h" )";
    ASSERT_TRUE(Create<v1::Alert>(store, "", "alpha-partners",
                                  alert + R"(filing_partner: "partners/alpha")")
                    .ok());
    ASSERT_TRUE(
        Create<v1::Alert>(store, "", "alpha-gone", alert + R"(filing_partner: "partners/alpha")")
            .ok());
    ASSERT_TRUE(
        Create<v1::Alert>(store, "", "beta-partners", alert + R"(filing_partner: "partners/beta")")
            .ok());
    ASSERT_TRUE(
        Create<v1::Alert>(store, "", "beta-gone", alert + R"(filing_partner: "partners/beta")")
            .ok());
    ASSERT_TRUE(Create<v1::Alert>(store, "", "beta-public",
                                  alert + R"(filing_partner: "partners/beta" scope: SCOPE_PUBLIC)")
                    .ok());
    ASSERT_TRUE(Create<v1::Alert>(store, "", "beta-restricted",
                                  alert + R"(filing_partner: "partners/beta" scope: SCOPE_RESTRICTED
                                             recipient_partners: "partners/gamma")")
                    .ok());
    for (const char* gone : {"alerts/alpha-gone", "alerts/beta-gone"}) {
      ASSERT_TRUE(ResourceManager<v1::Alert>(store).Delete(Principal::System(), gone, "").ok());
    }
    ASSERT_TRUE(
        Create<v1::Response>(store, "alerts/beta-partners", "by-alpha",
                             R"(responding_partner: "partners/alpha" action: ACTION_ACKNOWLEDGED)")
            .ok());
    ASSERT_TRUE(
        Create<v1::Response>(store, "alerts/beta-partners", "by-beta",
                             R"(responding_partner: "partners/beta" action: ACTION_ACKNOWLEDGED)")
            .ok());
    ASSERT_TRUE(
        Create<v1::Response>(store, "alerts/beta-restricted", "by-gamma",
                             R"(responding_partner: "partners/gamma" action: ACTION_ACKNOWLEDGED)")
            .ok());
    for (const char* partner : {"partners/alpha", "partners/beta"}) {
      // Email, so that a ping fails at once (no relay is configured) and
      // sends nothing anywhere.
      ASSERT_TRUE(Create<v1::Subscription>(store, partner, "s",
                                           R"(email { addresses: "desk@example.org" })")
                      .ok());
    }
    // One key pair, published by each partner with a proof signing that
    // partner's name (made once with libsodium from fixed seeds).
    ASSERT_TRUE(Create<v1::EncryptionKey>(store, "partners/alpha", "k", kAlphaKey).ok());
    ASSERT_TRUE(Create<v1::EncryptionKey>(store, "partners/beta", "k", kBetaKey).ok());
    CredentialManager credentials(store);
    const auto issue = [&](const char* id, v1::Role role, const char* partner) {
      v1::Credential credential;
      credential.set_principal(id);
      credential.set_role(role);
      credential.set_partner(partner);
      absl::StatusOr<IssuedCredential> issued =
          credentials.Create(Principal::System(), id, credential);
      EXPECT_TRUE(issued.ok()) << issued.status();
      return issued.ok() ? issued->token : "";
    };
    (*tokens_)[kAdmin] = issue("admin", v1::ROLE_ADMIN, "");
    (*tokens_)[kEditor] = issue("alpha-editor", v1::ROLE_PARTNER_EDITOR, "partners/alpha");
    (*tokens_)[kViewer] = issue("alpha-viewer", v1::ROLE_PARTNER_VIEWER, "partners/alpha");
    issue("beta-editor", v1::ROLE_PARTNER_EDITOR, "partners/beta");
  }

  static void TearDownTestSuite() {
    delete tokens_;
    delete base_database_;
    delete base_;
    tokens_ = nullptr;
    base_database_ = nullptr;
    base_ = nullptr;
    world_backend_.reset();
  }

  void SetUp() override { SetUpWorld(GetParam()); }

  // Runs one case as `caller` on a fresh copy of the world; returns the code.
  StatusCode Run(const Case& c, Caller caller) {
    testing::TempDir copy;
    fs::copy(base_->path(), copy.path(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    std::unique_ptr<testing::PostgresTestDatabase> database;
    if (base_database_ != nullptr) {
      database = std::make_unique<testing::PostgresTestDatabase>(base_database_);
      EXPECT_EQ(database->error(), "");
    }
    auto keyring = Keyring::LoadOrCreate(copy.path() + "/keys");
    auto store =
        testing::OpenStore(GetParam(), copy.path() + "/mpower.db", database.get(), keyring->get());
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return grpc::StatusCode::UNKNOWN;
    ServerOptions options{.listen_address = "127.0.0.1:0", .public_read = caller == kPublic};
    auto server = MpowerServer::Start(store->get(), options);
    EXPECT_TRUE(server.ok()) << server.status();
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                       grpc::InsecureChannelCredentials());

    const grpc::Status status = testing::CallAnyMethod(
        channel, c.method, c.request, tokens_->count(caller) ? tokens_->at(caller) : "");
    (*server)->Shutdown(absl::Seconds(1));
    return status.error_code();
  }

  static std::optional<testing::Backend> world_backend_;
  static testing::TempDir* base_;
  static testing::PostgresTestDatabase* base_database_;  // for kPostgres
  static std::map<Caller, std::string>* tokens_;
};

std::optional<testing::Backend> AuthorizationTest::world_backend_;
testing::TempDir* AuthorizationTest::base_ = nullptr;
testing::PostgresTestDatabase* AuthorizationTest::base_database_ = nullptr;
std::map<Caller, std::string>* AuthorizationTest::tokens_ = nullptr;

TEST_P(AuthorizationTest, EveryRpcEveryRoleOwnAndOther) {
  for (const Case& c : kCases) {
    for (int caller = 0; caller < kCallerCount; ++caller) {
      EXPECT_EQ(Run(c, static_cast<Caller>(caller)), c.expected[caller])
          << c.method << " on " << c.target << " as " << kCallerNames[caller];
    }
  }
}

// Not a property of any backend.
TEST(AuthorizationTableTest, TheTableCoversEveryRpc) {
  std::set<std::string> covered;
  for (const Case& c : kCases) covered.insert(c.method);
  const std::vector<std::string> methods = testing::AllMpowerMethods(MPOWER_PROTO_DIR);
  EXPECT_EQ(methods.size(), 53u) << "update this count when adding a method";
  for (const std::string& method : methods) {
    EXPECT_TRUE(covered.count(method)) << method << " has no row in the authorization table";
  }
}

MPOWER_ON_EVERY_BACKEND(AuthorizationTest);

}  // namespace
}  // namespace mpower
