// Each resource's validation: a bad value in each field is named, with
// every other field left valid, and a good resource passes.

#include <functional>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// One bad value: how to break a valid resource, and the field it names.
template <typename T>
struct Case {
  const char* expected_field;
  std::function<void(T&)> breaks;
};

template <typename T>
std::vector<std::string> ViolatedFields(const T& resource) {
  FieldViolations violations;
  ResourceTraits<T>::Validate(resource, violations);
  std::vector<std::string> fields;
  for (const auto& violation : violations.violations()) fields.push_back(violation.field);
  return fields;
}

template <typename T>
void ExpectEachCaseNamesItsField(const T& valid, const std::vector<Case<T>>& cases) {
  EXPECT_THAT(ViolatedFields(valid), ::testing::IsEmpty()) << valid.DebugString();
  for (const Case<T>& c : cases) {
    T broken = valid;
    c.breaks(broken);
    EXPECT_THAT(ViolatedFields(broken), ElementsAre(c.expected_field)) << broken.DebugString();
  }
}

const std::string kTooLong(5000, 'x');
const std::string kInvalidUtf8 = "caf\xc3";

TEST(ValidationTest, Partner) {
  using v1::Partner;
  const Partner valid = Parse<Partner>(R"pb(
    display_name: "KSPI"
    type: TYPE_UNION_FEDERATION
    country_code: "ID"
    website_uri: "https://example.org"
    parent_partner: "partners/x")pb");
  ExpectEachCaseNamesItsField<Partner>(
      valid,
      {
          {"partner.display_name", [](Partner& p) { p.clear_display_name(); }},
          {"partner.display_name", [](Partner& p) { p.set_display_name(kInvalidUtf8); }},
          {"partner.display_name", [](Partner& p) { p.set_display_name(kTooLong); }},
          {"partner.display_name",
           [](Partner& p) { p.set_display_name("tab\tok but bell \a not"); }},
          {"partner.type", [](Partner& p) { p.set_type(Partner::TYPE_UNSPECIFIED); }},
          {"partner.type", [](Partner& p) { p.set_type(static_cast<Partner::Type>(99)); }},
          {"partner.country_code", [](Partner& p) { p.set_country_code("id"); }},
          {"partner.country_code", [](Partner& p) { p.clear_country_code(); }},
          {"partner.country_code", [](Partner& p) { p.set_type(Partner::TYPE_MULTILATERAL); }},
          {"partner.iati_identifier", [](Partner& p) { p.set_iati_identifier("XM DAC"); }},
          {"partner.parent_partner", [](Partner& p) { p.set_parent_partner("initiatives/x"); }},
          {"partner.membership_status",
           [](Partner& p) { p.set_membership_status(static_cast<Partner::MembershipStatus>(-1)); }},
          {"partner.website_uri", [](Partner& p) { p.set_website_uri("ftp://example.org"); }},
          {"partner.website_uri", [](Partner& p) { p.set_website_uri("https://"); }},
          {"partner.description", [](Partner& p) { p.set_description(kTooLong); }},
      });
}

TEST(ValidationTest, Initiative) {
  using v1::Initiative;
  const Initiative valid = Parse<Initiative>(R"pb(
    display_name: "Better Work"
    sphere: SPHERE_INTERNATIONAL_COOPERATION
    status: STATUS_IMPLEMENTATION
    country_codes: [ "JO", "VN" ]
    action_areas: [ ACTION_AREA_GENDER_EQUITY ]
    participants { partner: "partners/ilo" role: PARTICIPANT_ROLE_IMPLEMENTING }
    start_date { year: 2009 month: 1 day: 1 }
    end_date { year: 2030 month: 12 day: 31 }
    results { title: "Factories" unit: "factories" actual_value: 1400 })pb");
  ExpectEachCaseNamesItsField<Initiative>(
      valid,
      {
          {"initiative.display_name", [](Initiative& i) { i.clear_display_name(); }},
          {"initiative.sphere", [](Initiative& i) { i.clear_sphere(); }},
          {"initiative.status",
           [](Initiative& i) { i.set_status(static_cast<Initiative::Status>(42)); }},
          {"initiative.country_codes[1]", [](Initiative& i) { i.set_country_codes(1, "XX"); }},
          {"initiative.country_codes[2]", [](Initiative& i) { i.add_country_codes("JO"); }},
          {"initiative.action_areas[1]",
           [](Initiative& i) { i.add_action_areas(v1::ActionArea(0)); }},
          {"initiative.participants[0].partner",
           [](Initiative& i) { i.mutable_participants(0)->set_partner("ilo"); }},
          {"initiative.participants[0].role",
           [](Initiative& i) { i.mutable_participants(0)->clear_role(); }},
          {"initiative.start_date", [](Initiative& i) { i.mutable_start_date()->set_month(13); }},
          {"initiative.end_date", [](Initiative& i) { i.mutable_end_date()->set_year(2001); }},
          {"initiative.end_date",
           [](Initiative& i) {
             i.mutable_end_date()->set_month(2);
             i.mutable_end_date()->set_day(29);  // 2030 is not a leap year
           }},
          {"initiative.results[0].title",
           [](Initiative& i) { i.mutable_results(0)->clear_title(); }},
          {"initiative.results[0].actual_value",
           [](Initiative& i) { i.mutable_results(0)->set_actual_value(std::nan("")); }},
      });
}

TEST(ValidationTest, Commitment) {
  using v1::Commitment;
  const Commitment valid = Parse<Commitment>(R"pb(
    external_id: "ILO-RB-2018"
    kind: KIND_FUNDING
    title: "Assessed contributions"
    amount { currency_code: "USD" units: 424600000 }
    contribution_basis: CONTRIBUTION_BASIS_ASSESSED
    recipient_partner: "partners/ilo"
    initiative: "initiatives/better-work"
    start_date { year: 2018 month: 1 day: 1 }
    end_date { year: 2022 month: 12 day: 31 }
    country_codes: "US"
    progress {
      date { year: 2022 month: 12 day: 31 }
      disbursed_amount { currency_code: "USD" units: 1 }
    })pb");
  ExpectEachCaseNamesItsField<Commitment>(
      valid,
      {
          {"commitment.external_id", [](Commitment& c) { c.set_external_id(kTooLong); }},
          {"commitment.kind", [](Commitment& c) { c.clear_kind(); }},
          {"commitment.title", [](Commitment& c) { c.clear_title(); }},
          {"commitment.amount",
           [](Commitment& c) {
             c.clear_amount();
             c.clear_progress();
           }},
          {"commitment.amount", [](Commitment& c) { c.mutable_amount()->set_units(-1); }},
          {"commitment.amount.currency_code",
           [](Commitment& c) {
             c.mutable_amount()->set_currency_code("XYZ");
             c.clear_progress();  // else its currency disagrees too
           }},
          {"commitment.amount.nanos",
           [](Commitment& c) { c.mutable_amount()->set_nanos(1000000000); }},
          {"commitment.contribution_basis", [](Commitment& c) { c.clear_contribution_basis(); }},
          {"commitment.recipient_partner", [](Commitment& c) { c.set_recipient_partner("ilo"); }},
          {"commitment.initiative", [](Commitment& c) { c.set_initiative("partners/ilo"); }},
          {"commitment.end_date", [](Commitment& c) { c.mutable_end_date()->set_year(2017); }},
          {"commitment.country_codes[0]", [](Commitment& c) { c.set_country_codes(0, "USA"); }},
          {"commitment.progress[0].date",
           [](Commitment& c) { c.mutable_progress(0)->clear_date(); }},
          {"commitment.progress[0].disbursed_amount.currency_code",
           [](Commitment& c) {
             c.mutable_progress(0)->mutable_disbursed_amount()->set_currency_code("EUR");
           }},
          {"commitment.progress[0].disbursed_amount",
           [](Commitment& c) { c.mutable_progress(0)->mutable_disbursed_amount()->set_units(-3); }},
      });
  // Non-funding commitments need neither amount nor basis.
  Commitment policy = Parse<Commitment>(R"pb(kind: KIND_POLICY title: "Ratify C087")pb");
  EXPECT_THAT(ViolatedFields(policy), ::testing::IsEmpty());
}

TEST(ValidationTest, PolicyCommitment) {
  using v1::Commitment;
  const Commitment valid = Parse<Commitment>(R"pb(
    kind: KIND_POLICY
    title: "Ratify the Violence and Harassment Convention"
    instrument: INSTRUMENT_C190
    policy_action: POLICY_ACTION_RATIFY
    milestones {
      stage: STAGE_ANNOUNCED
      date { year: 2023 month: 3 day: 8 }
    }
    milestones { stage: STAGE_SUBMITTED_TO_LEGISLATURE }
    milestones {
      stage: STAGE_RATIFIED
      date { year: 2024 month: 6 day: 21 }
    })pb");
  ExpectEachCaseNamesItsField<Commitment>(
      valid,
      {
          {"commitment.instrument", [](Commitment& c) { c.clear_instrument(); }},
          {"commitment.instrument",
           [](Commitment& c) { c.set_instrument(static_cast<Commitment::Instrument>(77)); }},
          {"commitment.instrument_reference",
           [](Commitment& c) { c.set_instrument(Commitment::INSTRUMENT_OTHER); }},
          {"commitment.instrument_reference",
           [](Commitment& c) { c.set_instrument_reference(kTooLong); }},
          {"commitment.policy_action", [](Commitment& c) { c.clear_policy_action(); }},
          // A stage of another action.
          {"commitment.milestones[1].stage",
           [](Commitment& c) {
             c.mutable_milestones(1)->set_stage(Commitment::STAGE_ENFORCEMENT_UNDER_WAY);
           }},
          {"commitment.milestones[0].stage",
           [](Commitment& c) { c.mutable_milestones(0)->clear_stage(); }},
          // The same stage twice.
          {"commitment.milestones[1].stage",
           [](Commitment& c) { c.mutable_milestones(1)->set_stage(Commitment::STAGE_ANNOUNCED); }},
          {"commitment.milestones[2].stage",
           [](Commitment& c) {
             c.mutable_milestones(2)->set_stage(Commitment::STAGE_SUBMITTED_TO_LEGISLATURE);
           }},
          // Dated before the previous dated milestone, past the undated one.
          {"commitment.milestones[2].date",
           [](Commitment& c) { c.mutable_milestones(2)->mutable_date()->set_year(2022); }},
          {"commitment.milestones[0].date",
           [](Commitment& c) { c.mutable_milestones(0)->mutable_date()->set_month(13); }},
          {"commitment.milestones",
           [](Commitment& c) {
             for (int i = 0; i < 21; ++i) c.add_milestones();
           }},
      });
  // Stages out of the action's order: each one after the first is named.
  Commitment unordered = valid;
  unordered.mutable_milestones(0)->set_stage(Commitment::STAGE_IN_FORCE);
  EXPECT_THAT(ViolatedFields(unordered),
              ElementsAre("commitment.milestones[1].stage", "commitment.milestones[2].stage"));
  // A policy commitment with no policy field is free text, as before.
  Commitment free_text = Parse<Commitment>(R"pb(kind: KIND_POLICY title: "Promote C087")pb");
  EXPECT_THAT(ViolatedFields(free_text), ::testing::IsEmpty());
  // The policy fields belong to policy commitments alone.
  Commitment funding = valid;
  funding.set_kind(Commitment::KIND_RESEARCH);
  EXPECT_THAT(
      ViolatedFields(funding),
      ElementsAre("commitment.instrument", "commitment.policy_action", "commitment.milestones"));
  // Another instrument is named by its reference.
  Commitment other = valid;
  other.set_instrument(Commitment::INSTRUMENT_OTHER);
  other.set_instrument_reference("Labour Code, article 14");
  EXPECT_THAT(ViolatedFields(other), ::testing::IsEmpty());
}

TEST(ValidationTest, PolicyStatusAndStageFollowFromTheMilestones) {
  using v1::Commitment;
  Commitment c = Parse<Commitment>(R"pb(
    kind: KIND_POLICY
    title: "Ratify C144"
    instrument: INSTRUMENT_C144
    policy_action: POLICY_ACTION_RATIFY
    status: STATUS_FULFILLED)pb");
  ASSERT_TRUE(ResourceTraits<Commitment>::Derive(c).ok());
  EXPECT_EQ(c.stage(), Commitment::STAGE_UNSPECIFIED);
  EXPECT_EQ(c.status(), Commitment::STATUS_PLEDGED);
  c.add_milestones()->set_stage(Commitment::STAGE_RATIFIED);
  ASSERT_TRUE(ResourceTraits<Commitment>::Derive(c).ok());
  EXPECT_EQ(c.stage(), Commitment::STAGE_RATIFIED);
  EXPECT_EQ(c.status(), Commitment::STATUS_IN_PROGRESS);
  c.add_milestones()->set_stage(Commitment::STAGE_IN_FORCE);
  ASSERT_TRUE(ResourceTraits<Commitment>::Derive(c).ok());
  EXPECT_EQ(c.stage(), Commitment::STAGE_IN_FORCE);
  EXPECT_EQ(c.status(), Commitment::STATUS_FULFILLED);
  // A withdrawal is the partner's to say, whatever the milestones.
  c.set_status(Commitment::STATUS_WITHDRAWN);
  ASSERT_TRUE(ResourceTraits<Commitment>::Derive(c).ok());
  EXPECT_EQ(c.status(), Commitment::STATUS_WITHDRAWN);
  // A free-text policy commitment keeps the status it is given.
  Commitment free_text = Parse<Commitment>(R"pb(kind: KIND_POLICY
                                                title: "Promote C087"
                                                status: STATUS_IN_PROGRESS)pb");
  ASSERT_TRUE(ResourceTraits<Commitment>::Derive(free_text).ok());
  EXPECT_EQ(free_text.status(), Commitment::STATUS_IN_PROGRESS);
}

TEST(ValidationTest, Alert) {
  using v1::Alert;
  const Alert valid = Parse<Alert>(R"pb(
    filing_partner: "partners/union"
    category: CATEGORY_ARBITRARY_ARREST_OR_DETENTION
    severity: SEVERITY_SEVERE
    urgency: URGENCY_IMMEDIATE
    certainty: CERTAINTY_OBSERVED
    country_code: "ID"
    area: "West Kalimantan"
    headline: "Organisers detained"
    scope: SCOPE_RESTRICTED
    recipient_partners: "partners/ilo"
    occur_time { seconds: 1700000000 }
    expire_time { seconds: 1800000000 }
    related_initiatives: "initiatives/palm-oil"
    related_commitments: "partners/id-gov/commitments/c087"
    protected_details {
      people { full_name: "A Person" }
      contact_channels: "+62 000"
    })pb");
  ExpectEachCaseNamesItsField<Alert>(
      valid,
      {
          {"alert.filing_partner", [](Alert& a) { a.clear_filing_partner(); }},
          {"alert.category", [](Alert& a) { a.clear_category(); }},
          {"alert.severity", [](Alert& a) { a.set_severity(static_cast<Alert::Severity>(77)); }},
          {"alert.urgency", [](Alert& a) { a.clear_urgency(); }},
          {"alert.certainty", [](Alert& a) { a.clear_certainty(); }},
          {"alert.country_code", [](Alert& a) { a.set_country_code("Indonesia"); }},
          {"alert.area", [](Alert& a) { a.set_area(kTooLong); }},
          {"alert.headline", [](Alert& a) { a.clear_headline(); }},
          {"alert.recipient_partners", [](Alert& a) { a.clear_recipient_partners(); }},
          {"alert.recipient_partners[1]",
           [](Alert& a) { a.add_recipient_partners("partners/ilo"); }},
          {"alert.expire_time", [](Alert& a) { a.mutable_expire_time()->set_seconds(1600000000); }},
          {"alert.occur_time", [](Alert& a) { a.mutable_occur_time()->set_nanos(-1); }},
          {"alert.related_initiatives[0]", [](Alert& a) { a.set_related_initiatives(0, "x"); }},
          {"alert.related_commitments[0]",
           [](Alert& a) { a.set_related_commitments(0, "initiatives/palm-oil"); }},
          {"alert.related_commitments[1]",
           [](Alert& a) { a.add_related_commitments(a.related_commitments(0)); }},
          {"alert.protected_details.people[0].full_name",
           [](Alert& a) { a.mutable_protected_details()->mutable_people(0)->clear_full_name(); }},
          {"alert.protected_details.contact_channels[0]",
           [](Alert& a) { a.mutable_protected_details()->set_contact_channels(0, kInvalidUtf8); }},
          {"alert.protected_details.narrative",
           [](Alert& a) { a.mutable_protected_details()->set_narrative(std::string(20001, 'n')); }},
      });
}

TEST(ValidationTest, MessagesNeverQuoteProtectedDetails) {
  v1::Alert alert;
  auto* person = alert.mutable_protected_details()->add_people();
  person->set_full_name(std::string(300, 'Z') + "Secret Name");
  alert.mutable_protected_details()->set_exact_location(std::string(600, 'Q') + "Secret Place");
  FieldViolations violations;
  ResourceTraits<v1::Alert>::Validate(alert, violations);
  const std::string message(violations.ToStatus().message());
  EXPECT_THAT(message, ::testing::HasSubstr("alert.protected_details.people[0].full_name"));
  EXPECT_THAT(message, ::testing::Not(::testing::HasSubstr("Secret")));
  EXPECT_THAT(message, ::testing::Not(::testing::HasSubstr("ZZZ")));
}

TEST(ValidationTest, Response) {
  using v1::Response;
  const Response valid = Parse<Response>(R"pb(
    responding_partner: "partners/ilo"
    action: ACTION_LEGAL_SUPPORT
    note: "Lawyer assigned"
    action_time { seconds: 1700000000 })pb");
  ExpectEachCaseNamesItsField<Response>(
      valid,
      {
          {"response.responding_partner", [](Response& r) { r.clear_responding_partner(); }},
          {"response.responding_partner", [](Response& r) { r.set_responding_partner("ilo"); }},
          {"response.action", [](Response& r) { r.clear_action(); }},
          {"response.note", [](Response& r) { r.set_note(kTooLong); }},
          {"response.action_time",
           [](Response& r) { r.mutable_action_time()->set_seconds(300000000000); }},
      });
}

}  // namespace
}  // namespace mpower
