// Every RPC against a real mpowerd server on 127.0.0.1:0.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "mpower/v1/alert.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
#include "mpower/v1/initiative.grpc.pb.h"
#include "mpower/v1/partner.grpc.pb.h"
#include "mpower/v1/response.grpc.pb.h"
#include "server/core/alert_rules.h"
#include "server/core/credentials.h"
#include "server/demo/demo_data.h"
#include "server/service/server.h"
#include "tests/any_rpc.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::HasSubstr;
using namespace v1;  // NOLINT: the test reads better with bare message names

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// Matches a grpc::Status with `code` and a message containing `text`.
MATCHER_P2(GrpcIs, code, text, "") {
  *result_listener << "status is " << arg.error_code() << ": " << arg.error_message();
  return arg.error_code() == code && arg.error_message().find(text) != std::string::npos;
}

class ServiceTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(LoadDemoData(store_.get()).ok());
    admin_token_ = IssueToken("admin", v1::ROLE_ADMIN, "");
    auto server = MpowerServer::Start(store_.get(), {.listen_address = "127.0.0.1:0"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    partners_ = PartnerService::NewStub(channel_);
    initiatives_ = InitiativeService::NewStub(channel_);
    commitments_ = CommitmentService::NewStub(channel_);
    alerts_ = AlertService::NewStub(channel_);
    responses_ = ResponseService::NewStub(channel_);
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }

  std::string IssueToken(const std::string& id, v1::Role role, const std::string& partner) {
    v1::Credential credential;
    credential.set_principal(id);
    credential.set_role(role);
    credential.set_partner(partner);
    absl::StatusOr<IssuedCredential> issued =
        CredentialManager(store_.get()).Create(Principal::System(), id, credential);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? issued->token : "";
  }

  // A fresh context with a deadline, as every real client should use,
  // carrying `token` (the admin's by default).
  std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context->AddMetadata("authorization", "Bearer " + (token.empty() ? admin_token_ : token));
    return context;
  }

  std::string admin_token_;
  std::unique_ptr<MpowerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<PartnerService::Stub> partners_;
  std::unique_ptr<InitiativeService::Stub> initiatives_;
  std::unique_ptr<CommitmentService::Stub> commitments_;
  std::unique_ptr<AlertService::Stub> alerts_;
  std::unique_ptr<ResponseService::Stub> responses_;
};

TEST_P(ServiceTest, HealthAnswersServing) { EXPECT_EQ(testing::HealthOf(channel_), "SERVING"); }

// The google.rpc.Status a failed call carries in grpc-status-details-bin.
google::rpc::Status DetailsOf(const grpc::Status& status) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details())) << status.error_message();
  EXPECT_EQ(details.code(), static_cast<int>(status.error_code()));
  EXPECT_EQ(details.message(), status.error_message()) << "the message stays as it is";
  return details;
}

template <typename Detail>
std::optional<Detail> Find(const google::rpc::Status& details) {
  for (const google::protobuf::Any& any : details.details()) {
    Detail detail;
    if (any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

TEST_P(ServiceTest, ErrorsCarryTheirDetailsAsData) {
  // A bad create: one BadRequest field violation per offending field, and
  // an ErrorInfo with a stable reason in mpower's domain.
  CreateCommitmentResponse created;
  const grpc::Status bad =
      commitments_->CreateCommitment(Context().get(), Parse<CreateCommitmentRequest>(R"pb(
                                       parent: "partners/us-gov"
                                       commitment { kind: KIND_FUNDING country_codes: "USA" })pb"),
                                     &created);
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const google::rpc::Status bad_details = DetailsOf(bad);
  std::optional<google::rpc::BadRequest> bad_request = Find<google::rpc::BadRequest>(bad_details);
  ASSERT_TRUE(bad_request.has_value());
  std::vector<std::string> fields;
  for (const auto& violation : bad_request->field_violations()) {
    fields.push_back(violation.field());
    EXPECT_FALSE(violation.description().empty());
  }
  EXPECT_THAT(fields, ::testing::ElementsAre("commitment.title", "commitment.amount",
                                             "commitment.contribution_basis",
                                             "commitment.country_codes[0]"));
  std::optional<google::rpc::ErrorInfo> info = Find<google::rpc::ErrorInfo>(bad_details);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INVALID_ARGUMENT");
  EXPECT_EQ(info->domain(), "mpower.v1");
  EXPECT_FALSE(Find<google::rpc::RetryInfo>(bad_details).has_value());

  // A check made outside the validation tables names its field too.
  ListCommitmentsResponse listed;
  const grpc::Status no_parent =
      commitments_->ListCommitments(Context().get(), ListCommitmentsRequest(), &listed);
  bad_request = Find<google::rpc::BadRequest>(DetailsOf(no_parent));
  ASSERT_TRUE(bad_request.has_value());
  ASSERT_EQ(bad_request->field_violations_size(), 1);
  EXPECT_EQ(bad_request->field_violations(0).field(), "parent");

  // A stale etag: a PreconditionFailure on the etag of that resource.
  UpdateCommitmentResponse updated;
  const grpc::Status stale =
      commitments_->UpdateCommitment(Context().get(), Parse<UpdateCommitmentRequest>(R"pb(
                                       commitment {
                                         name: "partners/us-gov/commitments/mpower-two-year-funding"
                                         title: "Renamed"
                                         etag: "r1"
                                       }
                                       update_mask { paths: "title" })pb"),
                                     &updated);
  ASSERT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  const google::rpc::Status stale_details = DetailsOf(stale);
  std::optional<google::rpc::PreconditionFailure> failure =
      Find<google::rpc::PreconditionFailure>(stale_details);
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).type(), "ETAG");
  EXPECT_EQ(failure->violations(0).subject(),
            "partners/us-gov/commitments/mpower-two-year-funding");
  EXPECT_EQ(Find<google::rpc::ErrorInfo>(stale_details)->reason(), "ETAG_MISMATCH");

  // Not found: the reason, and no field blamed.
  GetPartnerResponse got;
  const grpc::Status missing = partners_->GetPartner(
      Context().get(), Parse<GetPartnerRequest>(R"pb(name: "partners/none")pb"), &got);
  const google::rpc::Status missing_details = DetailsOf(missing);
  EXPECT_EQ(Find<google::rpc::ErrorInfo>(missing_details)->reason(), "NOT_FOUND");
  EXPECT_FALSE(Find<google::rpc::BadRequest>(missing_details).has_value());
}

TEST_P(ServiceTest, PartnerMethods) {
  GetPartnerResponse got;
  ASSERT_TRUE(partners_
                  ->GetPartner(Context().get(),
                               Parse<GetPartnerRequest>(R"pb(name: "partners/ilo")pb"), &got)
                  .ok());
  EXPECT_EQ(got.partner().iati_identifier(), "XM-DAC-41302");
  EXPECT_THAT(partners_->GetPartner(Context().get(),
                                    Parse<GetPartnerRequest>(R"pb(name: "partners/none")pb"), &got),
              GrpcIs(grpc::StatusCode::NOT_FOUND, "partners/none"));
  EXPECT_THAT(partners_->GetPartner(Context().get(),
                                    Parse<GetPartnerRequest>(R"pb(name: "bad name")pb"), &got),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "name: not a valid name"));

  ListPartnersResponse list;
  ASSERT_TRUE(
      partners_
          ->ListPartners(Context().get(), Parse<ListPartnersRequest>(R"pb(page_size: 2)pb"), &list)
          .ok());
  EXPECT_EQ(list.partners_size(), 2);
  EXPECT_FALSE(list.next_page_token().empty());
  EXPECT_THAT(
      partners_->ListPartners(Context().get(),
                              Parse<ListPartnersRequest>(R"pb(filter: "colour = 1")pb"), &list),
      GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "cannot filter on `colour`"));

  CreatePartnerResponse created;
  ASSERT_TRUE(partners_
                  ->CreatePartner(Context().get(), Parse<CreatePartnerRequest>(R"pb(
                                    partner_id: "kspi"
                                    partner {
                                      display_name: "KSPI"
                                      type: TYPE_UNION_FEDERATION
                                      country_code: "ID"
                                    })pb"),
                                  &created)
                  .ok());
  EXPECT_EQ(created.partner().name(), "partners/kspi");
  EXPECT_THAT(
      partners_->CreatePartner(
          Context().get(), Parse<CreatePartnerRequest>(R"pb(
            partner_id: "kspi"
            partner { display_name: "KSPI" type: TYPE_UNION_FEDERATION country_code: "ID" })pb"),
          &created),
      GrpcIs(grpc::StatusCode::ALREADY_EXISTS, "partners/kspi"));

  UpdatePartnerRequest update = Parse<UpdatePartnerRequest>(R"pb(
    partner { name: "partners/kspi" website_uri: "https://kspi.or.id" etag: "r1" }
    update_mask { paths: "website_uri" })pb");
  UpdatePartnerResponse updated;
  EXPECT_THAT(partners_->UpdatePartner(Context().get(), update, &updated),
              GrpcIs(grpc::StatusCode::ABORTED, "has changed"));
  update.mutable_partner()->set_etag(created.partner().etag());
  ASSERT_TRUE(partners_->UpdatePartner(Context().get(), update, &updated).ok());
  EXPECT_EQ(updated.partner().website_uri(), "https://kspi.or.id");

  DeletePartnerResponse deleted;
  EXPECT_THAT(
      partners_->DeletePartner(
          Context().get(), Parse<DeletePartnerRequest>(R"pb(name: "partners/ilo")pb"), &deleted),
      GrpcIs(grpc::StatusCode::FAILED_PRECONDITION, "referred to"));
  ASSERT_TRUE(partners_
                  ->DeletePartner(Context().get(),
                                  Parse<DeletePartnerRequest>(R"pb(name: "partners/kspi")pb"),
                                  &deleted)
                  .ok());
  EXPECT_THAT(partners_->GetPartner(Context().get(),
                                    Parse<GetPartnerRequest>(R"pb(name: "partners/kspi")pb"), &got),
              GrpcIs(grpc::StatusCode::NOT_FOUND, "kspi"));
}

TEST_P(ServiceTest, InitiativeMethods) {
  GetInitiativeResponse got;
  ASSERT_TRUE(initiatives_
                  ->GetInitiative(
                      Context().get(),
                      Parse<GetInitiativeRequest>(R"pb(name: "initiatives/better-work")pb"), &got)
                  .ok());
  EXPECT_EQ(got.initiative().results(0).actual_value(), 1400);
  ListInitiativesResponse list;
  ASSERT_TRUE(initiatives_
                  ->ListInitiatives(
                      Context().get(),
                      Parse<ListInitiativesRequest>(R"pb(filter: "country_codes:\"NE\"")pb"), &list)
                  .ok());
  ASSERT_EQ(list.initiatives_size(), 2);  // the Bridge Project and Ayorou
  CreateInitiativeResponse created;
  EXPECT_THAT(initiatives_->CreateInitiative(
                  Context().get(), Parse<CreateInitiativeRequest>(R"pb(
                    initiative_id: "x"
                    initiative {
                      display_name: "X"
                      sphere: SPHERE_DOMESTIC_ACTION
                      status: STATUS_PIPELINE
                      participants { partner: "partners/nobody" role: PARTICIPANT_ROLE_FUNDING }
                    })pb"),
                  &created),
              GrpcIs(grpc::StatusCode::NOT_FOUND, "initiative.participants[0].partner"));
  ASSERT_TRUE(initiatives_
                  ->CreateInitiative(Context().get(), Parse<CreateInitiativeRequest>(R"pb(
                                       initiative_id: "x"
                                       initiative {
                                         display_name: "X"
                                         sphere: SPHERE_DOMESTIC_ACTION
                                         status: STATUS_PIPELINE
                                       })pb"),
                                     &created)
                  .ok());
  UpdateInitiativeResponse updated;
  ASSERT_TRUE(
      initiatives_
          ->UpdateInitiative(Context().get(), Parse<UpdateInitiativeRequest>(R"pb(
                               initiative { name: "initiatives/x" status: STATUS_IMPLEMENTATION }
                               update_mask { paths: "status" })pb"),
                             &updated)
          .ok());
  EXPECT_EQ(updated.initiative().status(), Initiative::STATUS_IMPLEMENTATION);
  DeleteInitiativeResponse deleted;
  EXPECT_THAT(
      initiatives_->DeleteInitiative(
          Context().get(), Parse<DeleteInitiativeRequest>(R"pb(name: "initiatives/better-work")pb"),
          &deleted),
      GrpcIs(grpc::StatusCode::FAILED_PRECONDITION, "referred to"));
  ASSERT_TRUE(initiatives_
                  ->DeleteInitiative(Context().get(),
                                     Parse<DeleteInitiativeRequest>(R"pb(name: "initiatives/x")pb"),
                                     &deleted)
                  .ok());
}

TEST_P(ServiceTest, CommitmentMethods) {
  ListCommitmentsResponse list;
  ASSERT_TRUE(commitments_
                  ->ListCommitments(Context().get(), Parse<ListCommitmentsRequest>(R"pb(
                                      parent: "partners/-"
                                      filter: "recipient_partner = \"partners/ilo\"")pb"),
                                    &list)
                  .ok());
  EXPECT_EQ(list.commitments_size(), 3);
  EXPECT_THAT(commitments_->ListCommitments(Context().get(), ListCommitmentsRequest(), &list),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "parent: required"));

  CreateCommitmentRequest create = Parse<CreateCommitmentRequest>(R"pb(
    parent: "partners/us-dol-ilab"
    request_id: "sync-42"
    commitment {
      external_id: "ILAB-7"
      kind: KIND_FUNDING
      title: "Labour inspection in Mexico"
      amount { currency_code: "USD" units: 5000000 }
      contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
      recipient_partner: "partners/ilo"
      initiative: "initiatives/vision-zero-fund-mexico"
    })pb");
  CreateCommitmentResponse created, retried;
  ASSERT_TRUE(commitments_->CreateCommitment(Context().get(), create, &created).ok());
  ASSERT_TRUE(commitments_->CreateCommitment(Context().get(), create, &retried).ok());
  EXPECT_EQ(retried.commitment().name(), created.commitment().name());
  const std::string name = created.commitment().name();

  GetCommitmentResponse got;
  ASSERT_TRUE(commitments_
                  ->GetCommitment(Context().get(),
                                  Parse<GetCommitmentRequest>("name: \"" + name + "\""), &got)
                  .ok());
  EXPECT_EQ(got.commitment().external_id(), "ILAB-7");

  UpdateCommitmentRequest update;
  update.mutable_commitment()->set_name(name);
  auto* entry = update.mutable_commitment()->add_progress();
  *entry = Parse<Commitment::ProgressEntry>(
      R"pb(date { year: 2024 month: 3 day: 1 }
           disbursed_amount { currency_code: "USD" units: 1250000 })pb");
  update.mutable_update_mask()->add_paths("progress");
  UpdateCommitmentResponse updated;
  ASSERT_TRUE(commitments_->UpdateCommitment(Context().get(), update, &updated).ok());
  EXPECT_EQ(updated.commitment().fulfilled_amount().units(), 1250000);

  DeleteCommitmentResponse deleted;
  ASSERT_TRUE(commitments_
                  ->DeleteCommitment(Context().get(),
                                     Parse<DeleteCommitmentRequest>("name: \"" + name + "\""),
                                     &deleted)
                  .ok());
  EXPECT_TRUE(deleted.commitment().has_delete_time());
  UndeleteCommitmentResponse undeleted;
  ASSERT_TRUE(commitments_
                  ->UndeleteCommitment(Context().get(),
                                       Parse<UndeleteCommitmentRequest>("name: \"" + name + "\""),
                                       &undeleted)
                  .ok());
  EXPECT_FALSE(undeleted.commitment().has_delete_time());
}

// The filer names people in a restricted alert's protected details; a
// partner that is neither filer nor recipient must never receive them, on
// any method, and never learns more from an error.
TEST_P(ServiceTest, PageTokensCarryNothingTheReaderCannotSeeAndRefuseAnyEdit) {
  const std::string outsider = IssueToken("dol-viewer", v1::ROLE_PARTNER_VIEWER, "partners/us-dol");
  // Alerts the outsider may read, between restricted ones it may not know
  // exist, all with names the secretariat chose.
  for (const char* id :
       {"a1-visible", "a2-restricted", "a3-visible", "a4-restricted", "a5-visible"}) {
    const bool restricted = absl::StrContains(id, "restricted");
    CreateAlertRequest create = Parse<CreateAlertRequest>(R"pb(
      alert {
        filing_partner: "partners/example-union"
        category: CATEGORY_THREAT_OF_VIOLENCE
        severity: SEVERITY_SEVERE
        urgency: URGENCY_IMMEDIATE
        certainty: CERTAINTY_LIKELY
        country_code: "ID"
        recipient_partners: "partners/ilo"
      })pb");
    create.set_alert_id(id);
    create.mutable_alert()->set_headline(restricted ? "Quetzalcoatl" : "Visible");
    create.mutable_alert()->set_scope(restricted ? v1::Alert::SCOPE_RESTRICTED
                                                 : v1::Alert::SCOPE_PARTNERS);
    CreateAlertResponse created;
    ASSERT_TRUE(alerts_->CreateAlert(Context().get(), create, &created).ok()) << id;
  }
  // Every token the outsider receives paging through alerts, one at a time.
  std::vector<std::string> tokens;
  ListAlertsRequest request;
  request.set_page_size(1);
  do {
    ListAlertsResponse page;
    ASSERT_TRUE(alerts_->ListAlerts(Context(outsider).get(), request, &page).ok());
    for (const auto& alert : page.alerts()) {
      EXPECT_THAT(alert.name(), Not(HasSubstr("restricted")));
    }
    if (!page.next_page_token().empty()) tokens.push_back(page.next_page_token());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  ASSERT_FALSE(tokens.empty());
  for (const std::string& token : tokens) {
    // Decoded in every way a curious client might: nothing readable.
    std::string decoded;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &decoded));
    for (const std::string& bytes : {token, decoded}) {
      for (const char* hidden : {"restricted", "visible", "alerts/", "Quetzalcoatl"}) {
        EXPECT_THAT(bytes, Not(HasSubstr(hidden))) << token;
      }
    }
    // A token with any one character changed is refused.
    for (size_t at = 0; at < token.size(); ++at) {
      std::string edited = token;
      edited[at] = edited[at] == 'A' ? 'B' : 'A';
      ListAlertsRequest forged;
      forged.set_page_size(1);
      forged.set_page_token(edited);
      ListAlertsResponse page;
      EXPECT_THAT(alerts_->ListAlerts(Context(outsider).get(), forged, &page),
                  GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "page_token"))
          << "position " << at;
    }
  }
}

TEST_P(ServiceTest, AlertMethodsNeverReturnProtectedDetailsToOtherPartners) {
  const std::string filer =
      IssueToken("union-editor", v1::ROLE_PARTNER_EDITOR, "partners/example-union");
  const std::string other = IssueToken("dol-viewer", v1::ROLE_PARTNER_VIEWER, "partners/us-dol");
  const std::string recipient = IssueToken("ilo-viewer", v1::ROLE_PARTNER_VIEWER, "partners/ilo");
  const std::string secret = "Wiranto Secretname";
  CreateAlertRequest create = Parse<CreateAlertRequest>(R"pb(
    alert {
      filing_partner: "partners/example-union"
      category: CATEGORY_THREAT_OF_VIOLENCE
      severity: SEVERITY_SEVERE
      urgency: URGENCY_IMMEDIATE
      certainty: CERTAINTY_LIKELY
      country_code: "ID"
      headline: "Organiser threatened"
      scope: SCOPE_PARTNERS
      recipient_partners: "partners/ilo"
    })pb");
  create.mutable_alert()->mutable_protected_details()->add_people()->set_full_name(secret);
  CreateAlertResponse created;
  ASSERT_TRUE(alerts_->CreateAlert(Context(filer).get(), create, &created).ok());
  EXPECT_EQ(created.alert().protected_details().people(0).full_name(), secret)
      << "the filer sees what it filed";
  const std::string name = created.alert().name();
  std::vector<std::string> seen;

  GetAlertResponse got;
  ASSERT_TRUE(
      alerts_
          ->GetAlert(Context(other).get(), Parse<GetAlertRequest>("name: \"" + name + "\""), &got)
          .ok());
  EXPECT_TRUE(got.alert().protected_details_present());
  EXPECT_FALSE(got.alert().has_protected_details());
  seen.push_back(got.DebugString());

  ListAlertsResponse list;
  ASSERT_TRUE(alerts_
                  ->ListAlerts(Context(other).get(),
                               Parse<ListAlertsRequest>(R"pb(filter: "country_code = \"ID\"")pb"),
                               &list)
                  .ok());
  EXPECT_EQ(list.alerts_size(), 1) << "the demo's restricted alert is not for partners/us-dol";
  seen.push_back(list.DebugString());

  UpdateAlertRequest update = Parse<UpdateAlertRequest>(R"pb(alert { status: STATUS_VERIFIED }
                                                             update_mask { paths: "status" })pb");
  update.mutable_alert()->set_name(name);
  UpdateAlertResponse updated;
  grpc::Status denied = alerts_->UpdateAlert(Context(other).get(), update, &updated);
  EXPECT_THAT(denied,
              GrpcIs(grpc::StatusCode::PERMISSION_DENIED, "filed by partners/example-union"));
  seen.push_back(denied.error_message());
  ASSERT_TRUE(alerts_->UpdateAlert(Context(filer).get(), update, &updated).ok());

  // A validation error about the protected part names the field, not the value.
  UpdateAlertRequest bad = update;
  bad.mutable_alert()->mutable_protected_details()->add_people()->set_full_name(
      secret + std::string(300, '!'));
  bad.mutable_update_mask()->add_paths("protected_details");
  grpc::Status status = alerts_->UpdateAlert(Context(filer).get(), bad, &updated);
  EXPECT_THAT(status, GrpcIs(grpc::StatusCode::INVALID_ARGUMENT,
                             "alert.protected_details.people[0].full_name"));
  seen.push_back(status.error_message());

  DeleteAlertResponse deleted;
  denied = alerts_->DeleteAlert(Context(other).get(),
                                Parse<DeleteAlertRequest>("name: \"" + name + "\""), &deleted);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  seen.push_back(denied.error_message());

  for (const std::string& text : seen) EXPECT_THAT(text, ::testing::Not(HasSubstr("Secretname")));
  // The recipient the filer chose does receive them.
  ASSERT_TRUE(alerts_
                  ->GetAlert(Context(recipient).get(),
                             Parse<GetAlertRequest>("name: \"" + name + "\""), &got)
                  .ok());
  EXPECT_EQ(got.alert().protected_details().people(0).full_name(), secret);
}

// The request_id fingerprint is stored in the clear, so it leaves out
// protected details: a retry differing only there is the same request.
TEST_P(ServiceTest, AlertRetriesAreRecognisedWithoutFingerprintingProtectedDetails) {
  CreateAlertRequest create = Parse<CreateAlertRequest>(R"pb(
    request_id: "retry-1"
    alert {
      filing_partner: "partners/example-union"
      category: CATEGORY_SURVEILLANCE
      severity: SEVERITY_MINOR
      urgency: URGENCY_FUTURE
      certainty: CERTAINTY_POSSIBLE
      country_code: "ID"
      headline: "Followed home"
    })pb");
  create.mutable_alert()->mutable_protected_details()->set_narrative("first wording");
  CreateAlertResponse first, second;
  ASSERT_TRUE(alerts_->CreateAlert(Context().get(), create, &first).ok());
  create.mutable_alert()->mutable_protected_details()->set_narrative("second wording");
  ASSERT_TRUE(alerts_->CreateAlert(Context().get(), create, &second).ok());
  EXPECT_EQ(second.alert().name(), first.alert().name());
  EXPECT_EQ(second.alert().protected_details().narrative(), "first wording")
      << "the first result stands";
  create.mutable_alert()->set_headline("Followed home and photographed");
  EXPECT_THAT(alerts_->CreateAlert(Context().get(), create, &second),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "request_id"));
}

TEST_P(ServiceTest, ResponseMethods) {
  const std::string alert = "alerts/example-dismissals-honduras";
  CreateResponseResponse created;
  ASSERT_TRUE(responses_
                  ->CreateResponse(Context().get(), Parse<CreateResponseRequest>(R"pb(
                                     parent: "alerts/example-dismissals-honduras"
                                     response_id: "usdol-statement"
                                     response {
                                       responding_partner: "partners/us-dol"
                                       action: ACTION_PUBLIC_STATEMENT
                                       note: "Statement issued"
                                     })pb"),
                                   &created)
                  .ok());
  EXPECT_TRUE(created.response().has_action_time());
  EXPECT_THAT(
      responses_->CreateResponse(
          Context().get(), Parse<CreateResponseRequest>(R"pb(
            parent: "alerts/nope"
            response { responding_partner: "partners/us-dol" action: ACTION_MONITORING })pb"),
          &created),
      GrpcIs(grpc::StatusCode::NOT_FOUND, "parent: alerts/nope does not exist"));
  GetResponseResponse got;
  ASSERT_TRUE(
      responses_
          ->GetResponse(
              Context().get(),
              Parse<GetResponseRequest>(
                  R"pb(name: "alerts/example-dismissals-honduras/responses/usdol-statement")pb"),
              &got)
          .ok());
  ListResponsesResponse list;
  ASSERT_TRUE(responses_
                  ->ListResponses(Context().get(),
                                  Parse<ListResponsesRequest>("parent: \"" + alert + "\""), &list)
                  .ok());
  EXPECT_EQ(list.responses_size(), 1);
  ASSERT_TRUE(responses_
                  ->ListResponses(Context().get(),
                                  Parse<ListResponsesRequest>(R"pb(parent: "alerts/-")pb"), &list)
                  .ok());
  EXPECT_EQ(list.responses_size(), 2);
  UpdateResponseResponse updated;
  EXPECT_THAT(responses_->UpdateResponse(
                  Context().get(), Parse<UpdateResponseRequest>(R"pb(
                    response {
                      name: "alerts/example-dismissals-honduras/responses/usdol-statement"
                      responding_partner: "partners/ilo"
                    }
                    update_mask { paths: "responding_partner" })pb"),
                  &updated),
              GrpcIs(grpc::StatusCode::INVALID_ARGUMENT, "update_mask.paths[0]"));
  DeleteResponseResponse deleted;
  ASSERT_TRUE(
      responses_
          ->DeleteResponse(
              Context().get(),
              Parse<DeleteResponseRequest>(
                  R"pb(name: "alerts/example-dismissals-honduras/responses/usdol-statement")pb"),
              &deleted)
          .ok());

  DeleteAlertResponse alert_deleted;
  ASSERT_TRUE(alerts_
                  ->DeleteAlert(Context().get(),
                                Parse<DeleteAlertRequest>("name: \"" + alert + "\""),
                                &alert_deleted)
                  .ok());
  EXPECT_THAT(
      responses_->CreateResponse(
          Context().get(), Parse<CreateResponseRequest>(R"pb(
            parent: "alerts/example-dismissals-honduras"
            response { responding_partner: "partners/us-dol" action: ACTION_MONITORING })pb"),
          &created),
      GrpcIs(grpc::StatusCode::FAILED_PRECONDITION, "is deleted"));
}

TEST_P(ServiceTest, RefusesPlaintextOnNonLoopbackAddresses) {
  EXPECT_THAT(MpowerServer::Start(store_.get(), {.listen_address = "0.0.0.0:0"}),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("--allow-insecure-non-loopback")));
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:0"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:50051"));
}

TEST(TransportSecurityTest, PlaintextOnlyOnLoopbackUnlessToldOtherwise) {
  EXPECT_TRUE(CheckTransportSecurity({.listen_address = "127.0.0.1:50051"}).ok());
  EXPECT_THAT(CheckTransportSecurity({.listen_address = "0.0.0.0:50051"}),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--tls-cert")));
  EXPECT_TRUE(CheckTransportSecurity(
                  {.listen_address = "0.0.0.0:50051", .allow_insecure_non_loopback = true})
                  .ok());
  EXPECT_TRUE(CheckTransportSecurity(
                  {.listen_address = "0.0.0.0:50051", .tls_cert_pem = "cert", .tls_key_pem = "key"})
                  .ok());
  EXPECT_THAT(CheckTransportSecurity({.listen_address = "127.0.0.1:0", .tls_cert_pem = "cert"}),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("both")));
  EXPECT_THAT(CheckTransportSecurity({.listen_address = "127.0.0.1:0", .client_ca_pem = "ca"}),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("needs TLS")));
}

MPOWER_ON_EVERY_BACKEND(ServiceTest);

}  // namespace
}  // namespace mpower
