// Reports: the seeds' figures out of the demo data, exact per-currency
// totals, alert statistics on a fixed timeline, the country brief's
// redaction, reconciliation and the exports.

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/escalation.h"
#include "server/core/partner_rules.h"
#include "server/core/report_aggregates.h"
#include "server/core/reports.h"
#include "server/core/response_rules.h"
#include "server/demo/demo_data.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using google::protobuf::util::TimeUtil;
using ::mpower::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const Principal kAdmin = Principal::System();

Principal Viewer(const std::string& partner) {
  return Principal{Principal::Role::kPartnerViewer, partner + "-viewer", "partners/" + partner, ""};
}

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

std::string Units(const v1::Money& money) {
  return absl::StrCat(money.units(), " ", money.currency_code());
}

class ReportTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(LoadDemoData(store_.get()).ok());
  }

  void AddCommitment(const std::string& partner, const std::string& id, const std::string& text) {
    absl::StatusOr<v1::Commitment> created =
        ResourceManager<v1::Commitment>(store_.get())
            .Create(kAdmin, "partners/" + partner, id, Parse<v1::Commitment>(text), "", "");
    ASSERT_TRUE(created.ok()) << created.status();
  }

  Reports reports_{nullptr};
  Reports& reports() {
    reports_ = Reports(store_.get());
    return reports_;
  }
};

TEST_P(ReportTest, TheSeedsContributionsComeOutOfTheDemoDataExactly) {
  // "Between 2018 and 2022 the United States contributed US$616.6 million
  // to the ILO: 424.6 assessed and 192.0 voluntary."
  v1::SummarizeCommitmentsRequest request;
  request.set_parent("partners/us-gov");
  request.set_filter(
      R"(recipient_partner = "partners/ilo" AND start_date.year >= 2018 AND end_date.year <= 2022)");
  request.add_group_by(v1::COMMITMENT_DIMENSION_CONTRIBUTION_BASIS);
  absl::StatusOr<v1::SummarizeCommitmentsResponse> summary =
      reports().SummarizeCommitments(Viewer("ilo"), request);
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->totals_size(), 1);
  EXPECT_EQ(Units(summary->totals(0).committed_amount()), "616600000 USD");
  EXPECT_EQ(Units(summary->totals(0).fulfilled_amount()), "616600000 USD");
  EXPECT_EQ(summary->totals(0).commitment_count(), 2);
  ASSERT_EQ(summary->rows_size(), 2);
  EXPECT_THAT(summary->rows(0).keys(), ElementsAre("CONTRIBUTION_BASIS_ASSESSED"));
  EXPECT_EQ(Units(summary->rows(0).committed_amount()), "424600000 USD");
  EXPECT_THAT(summary->rows(1).keys(), ElementsAre("CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED"));
  EXPECT_EQ(Units(summary->rows(1).committed_amount()), "192000000 USD");
}

TEST_P(ReportTest, RecordsOfFundingReceivedAreNeverCountedTwice) {
  v1::SummarizeCommitmentsRequest request;
  request.set_filter("kind = FUNDING");
  absl::StatusOr<v1::SummarizeCommitmentsResponse> summary =
      reports().SummarizeCommitments(kAdmin, request);
  ASSERT_TRUE(summary.ok()) << summary.status();
  // The ILO's two records of what it received mirror the US's commitments.
  EXPECT_EQ(summary->received_records_excluded(), 2);
  ASSERT_EQ(summary->totals_size(), 1);
  EXPECT_EQ(Units(summary->totals(0).committed_amount()), "782600000 USD");  // 122 + 616.6 + 44
}

TEST_P(ReportTest, DifferentCurrenciesAreNeverAddedTogether) {
  AddCommitment("ilo", "eur-grant", R"(kind: KIND_FUNDING title: "EUR grant"
      amount { currency_code: "EUR" units: 1000 nanos: 500000000 }
      contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_CORE country_codes: ["ID", "MY"])");
  AddCommitment("ilo", "eur-grant-2", R"(kind: KIND_FUNDING title: "EUR grant 2"
      amount { currency_code: "EUR" units: 0 nanos: 500000000 }
      contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_CORE country_codes: "ID")");
  AddCommitment("ilo", "policy", R"(kind: KIND_POLICY title: "Ratify C190" country_codes: "ID")");
  v1::SummarizeCommitmentsRequest request;
  request.add_group_by(v1::COMMITMENT_DIMENSION_COUNTRY);
  request.set_filter(R"(country_codes:"ID")");
  absl::StatusOr<v1::SummarizeCommitmentsResponse> summary =
      reports().SummarizeCommitments(kAdmin, request);
  ASSERT_TRUE(summary.ok()) << summary.status();
  // Totals: the policy commitments (this one and the demo's in ID) count
  // but carry no money; the euros add up exactly, to the cent.
  ASSERT_EQ(summary->totals_size(), 2);
  EXPECT_EQ(summary->totals(0).currency_code(), "");
  EXPECT_EQ(summary->totals(0).commitment_count(), 2);
  EXPECT_FALSE(summary->totals(0).has_committed_amount());
  EXPECT_EQ(summary->totals(1).currency_code(), "EUR");
  EXPECT_EQ(summary->totals(1).committed_amount().units(), 1001);
  EXPECT_EQ(summary->totals(1).committed_amount().nanos(), 0);
  // Country groups overlap: the first grant counts in full for ID and MY.
  std::vector<std::string> rows;
  for (const auto& row : summary->rows()) {
    rows.push_back(absl::StrCat(row.keys(0), " ", row.currency_code(), " ", row.commitment_count(),
                                " ", row.committed_amount().units()));
  }
  EXPECT_THAT(rows, ElementsAre("ID  2 0", "ID EUR 2 1001", "MY EUR 1 1000"));
}

TEST_P(ReportTest, SummariesRejectBadDimensionsAndFilters) {
  v1::SummarizeCommitmentsRequest request;
  request.add_group_by(v1::COMMITMENT_DIMENSION_KIND);
  request.add_group_by(v1::COMMITMENT_DIMENSION_KIND);
  EXPECT_THAT(reports().SummarizeCommitments(kAdmin, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_by[1]")));
  request.clear_group_by();
  request.add_group_by(v1::COMMITMENT_DIMENSION_UNSPECIFIED);
  EXPECT_THAT(reports().SummarizeCommitments(kAdmin, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_by[0]")));
  request.clear_group_by();
  request.set_filter("title = \"x\"");
  EXPECT_THAT(reports().SummarizeCommitments(kAdmin, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  EXPECT_THAT(reports().SummarizeCommitments(Principal::Anonymous(), {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// Five alerts filed on a fixed timeline, answered after 1, 2, 3 and 10
// hours, and one never.
TEST(AlertStatisticsTest, TimeToFirstResponseOnAFixedTimeline) {
  AlertStatistics statistics({v1::ALERT_DIMENSION_COUNTRY});
  const int64_t filed = 1767225600;  // 2026-01-01T00:00:00Z
  const auto alert = [&](const std::string& country, const std::string& status, bool escalated) {
    v1::Alert a = Parse<v1::Alert>("country_code: \"" + country + "\" status: " + status);
    a.mutable_create_time()->set_seconds(filed);
    a.set_escalated(escalated);
    return a;
  };
  const auto after_hours = [&](int hours) {
    google::protobuf::Timestamp time;
    time.set_seconds(filed + hours * 3600);
    return time;
  };
  statistics.Add(alert("ID", "STATUS_RESPONDING", false), after_hours(1));
  statistics.Add(alert("ID", "STATUS_RESPONDING", false), after_hours(3));
  statistics.Add(alert("HN", "STATUS_RESOLVED", true), after_hours(10));
  statistics.Add(alert("HN", "STATUS_RESPONDING", false), after_hours(2));
  statistics.Add(alert("ID", "STATUS_OPEN", true), std::nullopt);
  v1::SummarizeAlertsResponse response;
  statistics.Fill(response);
  const v1::AlertSummaryRow& total = response.total();
  EXPECT_EQ(total.alert_count(), 5);
  EXPECT_EQ(total.responded_count(), 4);
  EXPECT_EQ(total.escalated_count(), 2);
  EXPECT_EQ(total.unanswered_count(), 1);
  // Nearest rank over 1, 2, 3, 10 hours: the median is the 2nd, p90 the 4th.
  EXPECT_EQ(total.median_time_to_first_response().seconds(), 2 * 3600);
  EXPECT_EQ(total.p90_time_to_first_response().seconds(), 10 * 3600);
  ASSERT_EQ(response.rows_size(), 2);
  EXPECT_THAT(response.rows(0).keys(), ElementsAre("HN"));
  EXPECT_EQ(response.rows(0).median_time_to_first_response().seconds(), 2 * 3600);
  EXPECT_THAT(response.rows(1).keys(), ElementsAre("ID"));
  EXPECT_EQ(response.rows(1).alert_count(), 3);
  EXPECT_EQ(response.rows(1).unanswered_count(), 1);
  EXPECT_EQ(response.rows(1).p90_time_to_first_response().seconds(), 3 * 3600);
}

TEST(AlertStatisticsTest, NearestRankPercentiles) {
  std::vector<int64_t> values = {5, 1, 4, 2, 3};
  EXPECT_EQ(NearestRankPercentile(values, 50), 3);
  EXPECT_EQ(NearestRankPercentile(values, 90), 5);
  std::vector<int64_t> one = {7};
  EXPECT_EQ(NearestRankPercentile(one, 50), 7);
  EXPECT_EQ(NearestRankPercentile(one, 90), 7);
}

TEST_P(ReportTest, AlertCountsShowOnlyACoarseFigureForAlertsTheReaderMayNotRead) {
  v1::SummarizeAlertsRequest request;
  request.add_group_by(v1::ALERT_DIMENSION_COUNTRY);
  // us-dol may not read the demo's restricted alert in ID: the table leaves
  // it out, and says only that fewer than 3 were left out.
  absl::StatusOr<v1::SummarizeAlertsResponse> partner =
      reports().SummarizeAlerts(Viewer("us-dol"), request);
  ASSERT_TRUE(partner.ok()) << partner.status();
  EXPECT_EQ(partner->total().alert_count(), 1);
  EXPECT_EQ(partner->total().responded_count(), 0);
  ASSERT_EQ(partner->rows_size(), 1);
  EXPECT_THAT(partner->rows(0).keys(), ElementsAre("HN"));
  EXPECT_EQ(partner->unreadable_alerts().fewer_than(), 3);
  EXPECT_EQ(partner->unreadable_alerts().at_least(), 0);
  EXPECT_THAT(partner->DebugString(), Not(HasSubstr("Fictional Person")));
  // The secretariat may read every alert: exact figures, nothing left out.
  absl::StatusOr<v1::SummarizeAlertsResponse> admin = reports().SummarizeAlerts(kAdmin, request);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->total().alert_count(), 2);
  EXPECT_EQ(admin->total().responded_count(), 1);  // the ILO acknowledged the detention
  EXPECT_EQ(admin->total().unanswered_count(), 1);
  EXPECT_EQ(admin->unreadable_alerts().fewer_than(), 0);
  EXPECT_EQ(admin->unreadable_alerts().at_least(), 0);
  // A public reader counts public alerts only, and learns nothing of others.
  absl::StatusOr<v1::SummarizeAlertsResponse> public_reader =
      reports().SummarizeAlerts(Principal::PublicReader(), request);
  ASSERT_TRUE(public_reader.ok());
  EXPECT_EQ(public_reader->total().alert_count(), 1);
  EXPECT_FALSE(public_reader->has_unreadable_alerts());
  // The period selects by filing time.
  *request.mutable_start_time() = TimeUtil::GetCurrentTime();
  request.mutable_start_time()->set_seconds(request.start_time().seconds() + 3600);
  absl::StatusOr<v1::SummarizeAlertsResponse> future =
      reports().SummarizeAlerts(Viewer("us-dol"), request);
  ASSERT_TRUE(future.ok());
  EXPECT_EQ(future->total().alert_count(), 0);
  EXPECT_FALSE(future->total().has_median_time_to_first_response());
  // A period with no hidden alert says what one with one or two says.
  EXPECT_EQ(future->unreadable_alerts().fewer_than(), 3);
  EXPECT_EQ(future->unreadable_alerts().at_least(), 0);
}

TEST_P(ReportTest, NoRowsTotalsOrGroupingRecoverACellOfHiddenAlerts) {
  // Restricted alerts us-dol may not read, in a country of their own, one
  // at a time; grouped every way, us-dol's figures never change until the
  // country's cell crosses the threshold, and then only by its multiple.
  const auto file_restricted = [&](int i) {
    v1::Alert alert;
    alert.set_filing_partner("partners/example-union");
    alert.set_category(v1::Alert::CATEGORY_SURVEILLANCE);
    alert.set_severity(v1::Alert::SEVERITY_MINOR);
    alert.set_urgency(v1::Alert::URGENCY_FUTURE);
    alert.set_certainty(v1::Alert::CERTAINTY_POSSIBLE);
    alert.set_country_code("KE");
    alert.set_headline("h");
    alert.set_scope(v1::Alert::SCOPE_RESTRICTED);
    alert.add_recipient_partners("partners/ilo");
    ASSERT_TRUE(ResourceManager<v1::Alert>(store_.get())
                    .Create(kAdmin, "", absl::StrCat("hidden-", i), alert, "", "")
                    .ok());
  };
  const auto figures = [&](std::vector<v1::AlertDimension> group_by) {
    v1::SummarizeAlertsRequest request;
    for (v1::AlertDimension dimension : group_by) request.add_group_by(dimension);
    absl::StatusOr<v1::SummarizeAlertsResponse> response =
        reports().SummarizeAlerts(Viewer("us-dol"), request);
    EXPECT_TRUE(response.ok()) << response.status();
    v1::SummarizeAlertsResponse copy = response.ok() ? *response : v1::SummarizeAlertsResponse();
    return copy;
  };
  const std::vector<std::vector<v1::AlertDimension>> groupings = {
      {},
      {v1::ALERT_DIMENSION_COUNTRY},
      {v1::ALERT_DIMENSION_CATEGORY, v1::ALERT_DIMENSION_STATUS}};
  std::vector<std::string> before;
  for (const auto& grouping : groupings) before.push_back(figures(grouping).DebugString());
  for (int i = 1; i <= 4; ++i) {
    file_restricted(i);
    for (size_t g = 0; g < groupings.size(); ++g) {
      const v1::SummarizeAlertsResponse now = figures(groupings[g]);
      v1::SummarizeAlertsResponse table = now;
      table.clear_unreadable_alerts();
      EXPECT_THAT(table.DebugString(), Not(HasSubstr("KE"))) << "no row for the hidden ones";
      v1::SummarizeAlertsResponse earlier;
      ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(before[g], &earlier));
      earlier.clear_unreadable_alerts();
      EXPECT_EQ(table.DebugString(), earlier.DebugString()) << "rows and totals never move";
      // These i in KE, and the demo's restricted alert alone in ID: only
      // KE's cell can reach the threshold, and it is named only once it has.
      EXPECT_EQ(now.unreadable_alerts().fewer_than(), 3);
      if (i < 3) {
        EXPECT_EQ(now.unreadable_alerts().at_least(), 0) << i << " in KE";
        EXPECT_THAT(now.DebugString(), Not(HasSubstr("KE")));
      } else {
        EXPECT_EQ(now.unreadable_alerts().at_least(), 3) << i << " in KE";
        ASSERT_EQ(now.unreadable_alerts().cells_size(), 1);
        EXPECT_EQ(now.unreadable_alerts().cells(0).country_code(), "KE");
      }
    }
  }
  // A threshold of the operator's choosing.
  Reports strict(store_.get(), 10);
  absl::StatusOr<v1::SummarizeAlertsResponse> response =
      strict.SummarizeAlerts(Viewer("us-dol"), v1::SummarizeAlertsRequest());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->unreadable_alerts().fewer_than(), 10);
}

TEST_P(ReportTest, TheCountryBriefIsRedactedForAReaderNotEntitled) {
  // A PARTNERS-scope alert in ID with protected details, filed by the union.
  v1::Alert alert = Parse<v1::Alert>(R"(filing_partner: "partners/example-union"
      category: CATEGORY_THREAT_OF_VIOLENCE severity: SEVERITY_SEVERE urgency: URGENCY_IMMEDIATE
      certainty: CERTAINTY_LIKELY country_code: "ID" headline: "Organisers threatened"
      scope: SCOPE_PARTNERS
      protected_details { people { full_name: "Zyx Distinctive Name" } exact_location: "Qwv Street 9" })");
  ASSERT_TRUE(
      ResourceManager<v1::Alert>(store_.get()).Create(kAdmin, "", "threat-id", alert, "", "").ok());
  v1::GetCountryBriefRequest request;
  request.set_country_code("ID");

  absl::StatusOr<v1::GetCountryBriefResponse> outsider =
      reports().GetCountryBrief(Viewer("us-dol"), request);
  ASSERT_TRUE(outsider.ok()) << outsider.status();
  // The restricted detention alert is not there at all; the partners-scope
  // one is, without its protected details.
  ASSERT_EQ(outsider->alerts_size(), 1);
  EXPECT_EQ(outsider->alerts(0).alert().name(), "alerts/threat-id");
  EXPECT_FALSE(outsider->alerts(0).alert().has_protected_details());
  EXPECT_TRUE(outsider->alerts(0).alert().protected_details_present());
  const std::string seen = outsider->SerializeAsString();
  for (const char* secret : {"Zyx Distinctive", "Qwv Street", "Fictional Person", "detained"}) {
    EXPECT_THAT(seen, Not(HasSubstr(secret))) << secret;
  }
  // The palm oil initiative works in ID; no commitment targets ID.
  ASSERT_EQ(outsider->initiatives_size(), 1);
  EXPECT_EQ(outsider->initiatives(0).name(), "initiatives/palm-oil-indonesia-malaysia");

  // The ILO, a named recipient of the detention alert, sees it in full with
  // the ILO's response; newest alert first.
  absl::StatusOr<v1::GetCountryBriefResponse> recipient =
      reports().GetCountryBrief(Viewer("ilo"), request);
  ASSERT_TRUE(recipient.ok());
  ASSERT_EQ(recipient->alerts_size(), 2);
  EXPECT_EQ(recipient->alerts(0).alert().name(), "alerts/threat-id");
  EXPECT_FALSE(recipient->alerts(0).alert().has_protected_details());
  const v1::AlertWithResponses& detention = recipient->alerts(1);
  EXPECT_EQ(detention.alert().name(), "alerts/example-detention-west-kalimantan");
  EXPECT_TRUE(detention.alert().has_protected_details());
  ASSERT_EQ(detention.responses_size(), 1);
  EXPECT_EQ(detention.responses(0).responding_partner(), "partners/ilo");

  request.set_country_code("XX");
  EXPECT_THAT(reports().GetCountryBrief(Viewer("ilo"), request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("country_code")));
}

TEST_P(ReportTest, TheCountryBriefIncludesCommitmentsServingTheCountrysInitiatives) {
  AddCommitment("us-dol", "jordan-policy", R"(kind: KIND_POLICY title: "Labour law dialogue"
      country_codes: "JO")");
  v1::GetCountryBriefRequest request;
  request.set_country_code("JO");
  absl::StatusOr<v1::GetCountryBriefResponse> brief = reports().GetCountryBrief(kAdmin, request);
  ASSERT_TRUE(brief.ok()) << brief.status();
  ASSERT_EQ(brief->initiatives_size(), 1);
  EXPECT_EQ(brief->initiatives(0).name(), "initiatives/better-work");
  std::vector<std::string> names;
  for (const auto& c : brief->commitments()) names.push_back(c.name());
  EXPECT_THAT(names, ElementsAre("partners/us-dol-ilab/commitments/better-work-since-2009",
                                 "partners/us-dol/commitments/jordan-policy"));
  ASSERT_EQ(brief->commitment_totals_size(), 2);
  EXPECT_EQ(Units(brief->commitment_totals(1).committed_amount()), "44000000 USD");
}

TEST_P(ReportTest, ReconciliationPairsTheDemoRecordsAndShowsWhatIsMissing) {
  absl::StatusOr<v1::ReconcileCommitmentsResponse> result =
      reports().ReconcileCommitments(Viewer("us-dol"), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->matched_count(), 2);  // the ILO recorded both US contributions
  EXPECT_THAT(result->mismatched(), IsEmpty());
  ASSERT_EQ(result->unmatched_funder_records_size(), 1);
  EXPECT_EQ(result->unmatched_funder_records(0).name(),
            "partners/us-dol-ilab/commitments/better-work-since-2009");
  EXPECT_THAT(result->unmatched_recipient_records(), IsEmpty());
}

TEST_P(ReportTest, ReconciliationFindsAConstructedMismatch) {
  // us-dos funds the ILO 5.0 million for 2020-2021; the ILO records 4.5
  // million for 2020-2022; the ILO also records money from USAID that USAID
  // never recorded.
  AddCommitment("us-dos", "grant", R"(kind: KIND_FUNDING title: "Grant"
      amount { currency_code: "USD" units: 5000000 } contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
      recipient_partner: "partners/ilo"
      start_date { year: 2020 month: 1 day: 1 } end_date { year: 2021 month: 12 day: 31 })");
  AddCommitment("ilo", "dos-grant-received", R"(kind: KIND_FUNDING title: "Grant received"
      amount { currency_code: "USD" units: 4500000 } contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_EARMARKED
      provider_partner: "partners/us-dos"
      start_date { year: 2020 month: 1 day: 1 } end_date { year: 2022 month: 12 day: 31 })");
  AddCommitment("ilo", "usaid-received", R"(kind: KIND_FUNDING title: "USAID funds"
      amount { currency_code: "USD" units: 100 } contribution_basis: CONTRIBUTION_BASIS_VOLUNTARY_CORE
      provider_partner: "partners/usaid")");
  v1::ReconcileCommitmentsRequest request;
  request.set_partner("partners/ilo");
  absl::StatusOr<v1::ReconcileCommitmentsResponse> result =
      reports().ReconcileCommitments(Viewer("ilo"), request);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->mismatched_size(), 1);
  const v1::ReconciliationPair& pair = result->mismatched(0);
  EXPECT_EQ(pair.funder_record().name(), "partners/us-dos/commitments/grant");
  EXPECT_EQ(pair.recipient_record().name(), "partners/ilo/commitments/dos-grant-received");
  EXPECT_THAT(pair.mismatched_fields(), ElementsAre("amount", "end_date"));
  EXPECT_EQ(result->matched_count(), 2);
  ASSERT_EQ(result->unmatched_recipient_records_size(), 1);
  EXPECT_EQ(result->unmatched_recipient_records(0).name(),
            "partners/ilo/commitments/usaid-received");
  // Filtered to us-dos, the USAID record is not part of it.
  request.set_partner("partners/us-dos");
  result = reports().ReconcileCommitments(Viewer("ilo"), request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->mismatched_size(), 1);
  EXPECT_EQ(result->matched_count(), 0);
  EXPECT_THAT(result->unmatched_recipient_records(), IsEmpty());
}

TEST_P(ReportTest, ARecordOfFundingReceivedMustBeFundingWithoutARecipient) {
  v1::Commitment bad = Parse<v1::Commitment>(R"(kind: KIND_POLICY title: "x"
      provider_partner: "partners/us-gov" recipient_partner: "partners/usaid")");
  EXPECT_THAT(ResourceManager<v1::Commitment>(store_.get())
                  .Create(kAdmin, "partners/ilo", "bad", bad, "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("commitment.provider_partner"),
                                        HasSubstr("commitment.recipient_partner"))));
}

TEST_P(ReportTest, CommitmentsExportAsCsvThatTheSyncImporterReads) {
  v1::ExportActivitiesRequest request;
  request.set_format(v1::EXPORT_FORMAT_COMMITMENTS_CSV);
  request.set_parent("partners/us-gov");
  absl::StatusOr<ExportedDocument> csv =
      reports().ExportActivities(Viewer("ilo"), request, absl::Now());
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->content_type, "text/csv");
  EXPECT_THAT(csv->data, ::testing::StartsWith("name,external_id,kind,title,description,amount,"));
  EXPECT_THAT(csv->data,
              HasSubstr("partners/us-gov/commitments/ilo-assessed-2018-2022,ILO-RB-2018-2022,"
                        "FUNDING,\"Assessed contributions to the ILO's regular budget, "
                        "2018-2022\",,424600000.00,USD,ASSESSED,partners/ilo,,,2018-01-01,"
                        "2022-12-31,FULFILLED,,,,,,,424600000.00,\r\n"));
  // A policy commitment's instrument, action and milestones, as sync reads
  // them, and its stage (output only, as the fulfilled amount).
  EXPECT_THAT(csv->data, HasSubstr(",FULFILLED,US,SOCIAL_DIALOGUE,C144,,RATIFY,RATIFIED;IN_FORCE,,"
                                   "IN_FORCE\r\n"));
  EXPECT_EQ(std::count(csv->data.begin(), csv->data.end(), '\n'), 7);  // header and 6 rows

  request.set_format(v1::EXPORT_FORMAT_INITIATIVES_CSV);
  request.set_filter(R"(country_codes:"JO")");
  csv = reports().ExportActivities(Viewer("ilo"), request, absl::Now());
  ASSERT_TRUE(csv.ok());
  EXPECT_THAT(csv->data, HasSubstr("initiatives/better-work,Better Work,INTERNATIONAL_COOPERATION,"
                                   "IMPLEMENTATION,2009-01-01,,JO,"));
  request.set_format(v1::EXPORT_FORMAT_UNSPECIFIED);
  EXPECT_THAT(reports().ExportActivities(Viewer("ilo"), request, absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("format")));
}

TEST_P(ReportTest, IatiExportUsesIatiCodes) {
  v1::ExportActivitiesRequest request;
  request.set_format(v1::EXPORT_FORMAT_IATI_XML);
  absl::StatusOr<ExportedDocument> xml =
      reports().ExportActivities(Viewer("ilo"), request, absl::FromUnixSeconds(1767225600));
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_EQ(xml->content_type, "application/xml");
  const std::string& doc = xml->data;
  EXPECT_THAT(
      doc,
      HasSubstr("<iati-activities version=\"2.03\" generated-datetime=\"2026-01-01T00:00:00Z\">"));
  // The ILO's reporting org carries its IATI identifier and type 40
  // (multilateral); a closed funding activity has status 4, a commitment
  // transaction (2) and its disbursement (3).
  EXPECT_THAT(doc, HasSubstr("<iati-identifier>XM-DAC-41302-RB-US-2018-2022</iati-identifier>"));
  EXPECT_THAT(doc, HasSubstr("<reporting-org ref=\"XM-DAC-41302\" type=\"40\">"));
  EXPECT_THAT(doc, HasSubstr("<activity-status code=\"4\"/>"));
  EXPECT_THAT(doc, HasSubstr("<transaction-type code=\"2\"/>"));
  EXPECT_THAT(doc, HasSubstr("<transaction-type code=\"3\"/>"));
  EXPECT_THAT(doc, HasSubstr("<transaction-type code=\"11\"/>"));
  EXPECT_THAT(doc,
              HasSubstr("<value currency=\"USD\" value-date=\"2018-01-01\">424600000.00</value>"));
  EXPECT_THAT(doc, HasSubstr("<recipient-country code=\"JO\"/>"));  // via Better Work
  EXPECT_THAT(doc, HasSubstr("<participating-org ref=\"XM-DAC-41302\" type=\"40\" role=\"4\">"));
  EXPECT_THAT(doc, HasSubstr("<actual value=\"1400\"/>"));
}

TEST_P(ReportTest, PolicyCommitmentsSummarizeByInstrumentAndStage) {
  v1::SummarizeCommitmentsRequest request;
  request.set_filter("kind = POLICY");
  request.add_group_by(v1::COMMITMENT_DIMENSION_INSTRUMENT);
  request.add_group_by(v1::COMMITMENT_DIMENSION_STAGE);
  absl::StatusOr<v1::SummarizeCommitmentsResponse> summary =
      reports().SummarizeCommitments(Viewer("ilo"), request);
  ASSERT_TRUE(summary.ok()) << summary.status();
  std::vector<std::string> rows;
  for (const auto& row : summary->rows()) {
    rows.push_back(absl::StrCat(row.keys(0), " ", row.keys(1), " ", row.commitment_count()));
  }
  // The demo's: the US ratifications in force, the Bridge Project's
  // support for P029 announced, and the fictional ministry's C087 plan.
  EXPECT_THAT(rows,
              ElementsAre("INSTRUMENT_C087 STAGE_ENFORCEMENT_PLAN_ADOPTED 1",
                          "INSTRUMENT_C105 STAGE_IN_FORCE 1", "INSTRUMENT_C144 STAGE_IN_FORCE 1",
                          "INSTRUMENT_C182 STAGE_IN_FORCE 1", "INSTRUMENT_P029 STAGE_ANNOUNCED 1"));
  ASSERT_EQ(summary->totals_size(), 1);
  EXPECT_EQ(summary->totals(0).commitment_count(), 5);
  // Funding has no instrument or stage: "" groups it.
  request.set_filter("");
  request.clear_group_by();
  request.add_group_by(v1::COMMITMENT_DIMENSION_STAGE);
  summary = reports().SummarizeCommitments(Viewer("ilo"), request);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->rows(0).keys(0), "");
  EXPECT_EQ(summary->rows(0).currency_code(), "USD");
}

TEST_P(ReportTest, TheAccountabilityReportCountsWhatTheReaderMayReadSinceTheStart) {
  // Two more alerts in ID that concern C087: one whose events began before
  // the ministry's commitment started (2025-06-02), which does not count,
  // and one after, public, that nobody answers and that escalates.
  const auto file = [&](const std::string& id, const std::string& extra) {
    v1::Alert alert = Parse<v1::Alert>(absl::StrCat(R"(filing_partner: "partners/example-union"
        severity: SEVERITY_SEVERE urgency: URGENCY_IMMEDIATE certainty: CERTAINTY_LIKELY
        country_code: "ID" headline: "h" )",
                                                    extra));
    ASSERT_TRUE(
        ResourceManager<v1::Alert>(store_.get()).Create(kAdmin, "", id, alert, "", "").ok());
  };
  file("before-start", R"(category: CATEGORY_DENIAL_OF_RIGHT_TO_STRIKE scope: SCOPE_PUBLIC
      occur_time { seconds: 1735689600 })");  // 2025-01-01
  file("strike-broken-up", R"(category: CATEGORY_DENIAL_OF_RIGHT_TO_STRIKE scope: SCOPE_PUBLIC
      occur_time { seconds: 1767312000 })");  // 2026-01-02
  file("unrelated", R"(category: CATEGORY_OTHER scope: SCOPE_PUBLIC)");
  absl::StatusOr<EscalationPolicy> policy = EscalationPolicy::Parse("immediate=1h");
  ASSERT_TRUE(policy.ok());
  ASSERT_TRUE(Escalator(store_.get(), *policy).RunOnce(absl::Now() + absl::Hours(2)).ok());

  v1::GetAccountabilityReportRequest request;
  request.set_country_code("ID");
  absl::StatusOr<v1::GetAccountabilityReportResponse> admin =
      reports().GetAccountabilityReport(kAdmin, request);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_EQ(admin->rows_size(), 1);
  const v1::AccountabilityRow& row = admin->rows(0);
  EXPECT_EQ(row.commitment().name(),
            "partners/example-labour-ministry/commitments/example-freedom-of-association");
  EXPECT_EQ(row.instrument(), v1::Commitment::INSTRUMENT_C087);
  EXPECT_EQ(row.since().year(), 2025);
  // The detention (answered by the ILO) and the strike (escalated).
  EXPECT_EQ(row.alert_count(), 2);
  EXPECT_EQ(row.responded_count(), 1);
  EXPECT_EQ(row.escalated_count(), 1);
  EXPECT_EQ(admin->unreadable_alerts().fewer_than(), 0);
  EXPECT_EQ(admin->unreadable_alerts().at_least(), 0);

  // us-dol may not read the restricted detention alert: it counts the
  // strike alone, and learns only that fewer than 3 were left out.
  absl::StatusOr<v1::GetAccountabilityReportResponse> outsider =
      reports().GetAccountabilityReport(Viewer("us-dol"), request);
  ASSERT_TRUE(outsider.ok());
  ASSERT_EQ(outsider->rows_size(), 1);
  EXPECT_EQ(outsider->rows(0).alert_count(), 1);
  EXPECT_EQ(outsider->rows(0).responded_count(), 0);
  EXPECT_EQ(outsider->unreadable_alerts().fewer_than(), 3);
  EXPECT_THAT(outsider->DebugString(), Not(HasSubstr("west-kalimantan")));
  EXPECT_THAT(outsider->DebugString(), Not(HasSubstr("Fictional Person")));
  // The public learns nothing of what it may not read.
  absl::StatusOr<v1::GetAccountabilityReportResponse> public_reader =
      reports().GetAccountabilityReport(Principal::PublicReader(), request);
  ASSERT_TRUE(public_reader.ok());
  EXPECT_EQ(public_reader->rows(0).alert_count(), 1);
  EXPECT_FALSE(public_reader->has_unreadable_alerts());

  // Every country: the US ratifications in instrument order, the Bridge
  // Project's six countries; an instrument selects.
  request.clear_country_code();
  absl::StatusOr<v1::GetAccountabilityReportResponse> all =
      reports().GetAccountabilityReport(kAdmin, request);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> rows;
  for (const auto& r : all->rows()) {
    rows.push_back(absl::StrCat(r.country_code(), " ", r.commitment().instrument_reference(),
                                v1::Commitment::Instrument_Name(r.instrument())));
  }
  EXPECT_THAT(rows, ElementsAre("ID INSTRUMENT_C087", "MR INSTRUMENT_P029", "MY INSTRUMENT_P029",
                                "NE INSTRUMENT_P029", "NP INSTRUMENT_P029", "PE INSTRUMENT_P029",
                                "US INSTRUMENT_C105", "US INSTRUMENT_C182", "US INSTRUMENT_C144",
                                "UZ INSTRUMENT_P029"));
  EXPECT_THAT(all->rows(1).categories(), IsEmpty()) << "no alert category concerns P029";
  request.set_instrument(v1::Commitment::INSTRUMENT_C182);
  all = reports().GetAccountabilityReport(kAdmin, request);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->rows_size(), 1);
  EXPECT_EQ(all->rows(0).country_code(), "US");

  request.set_country_code("XX");
  EXPECT_THAT(reports().GetAccountabilityReport(kAdmin, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("country_code")));
}

TEST_P(ReportTest, TheCountryBriefShowsTheGovernmentsLabourStandards) {
  v1::GetCountryBriefRequest request;
  request.set_country_code("US");
  absl::StatusOr<v1::GetCountryBriefResponse> us = reports().GetCountryBrief(kAdmin, request);
  ASSERT_TRUE(us.ok()) << us.status();
  std::vector<std::string> standards;
  for (const auto& entry : us->labour_standards()) {
    standards.push_back(absl::StrCat(v1::Commitment::Instrument_Name(entry.instrument()), " ",
                                     v1::Commitment::Stage_Name(entry.stage()), " ",
                                     entry.partner()));
  }
  // The US government's own ratifications; its support for P029 elsewhere
  // is not a standard of the US.
  EXPECT_THAT(standards, ElementsAre("INSTRUMENT_C105 STAGE_IN_FORCE partners/us-gov",
                                     "INSTRUMENT_C182 STAGE_IN_FORCE partners/us-gov",
                                     "INSTRUMENT_C144 STAGE_IN_FORCE partners/us-gov"));
  // In ID the ministry's C087 commitment stands beside the detention alert,
  // for a reader who may read it, and beside nothing for one who may not.
  request.set_country_code("ID");
  absl::StatusOr<v1::GetCountryBriefResponse> recipient =
      reports().GetCountryBrief(Viewer("ilo"), request);
  ASSERT_TRUE(recipient.ok());
  ASSERT_EQ(recipient->labour_standards_size(), 1);
  EXPECT_THAT(recipient->labour_standards(0).related_alerts(),
              ElementsAre("alerts/example-detention-west-kalimantan"));
  absl::StatusOr<v1::GetCountryBriefResponse> outsider =
      reports().GetCountryBrief(Viewer("us-dol"), request);
  ASSERT_TRUE(outsider.ok());
  ASSERT_EQ(outsider->labour_standards_size(), 1);
  EXPECT_THAT(outsider->labour_standards(0).related_alerts(), IsEmpty());
}

TEST_P(ReportTest, AnAlertNamesOnlyLiveCommitmentsAsRelated) {
  const std::string kPromise =
      "partners/example-labour-ministry/commitments/example-freedom-of-association";
  v1::Alert alert = Parse<v1::Alert>(R"(filing_partner: "partners/example-union"
      category: CATEGORY_UNION_DEREGISTRATION severity: SEVERITY_MODERATE
      urgency: URGENCY_EXPECTED certainty: CERTAINTY_OBSERVED country_code: "ID" headline: "h")");
  const Principal union_editor{Principal::Role::kPartnerEditor, "union-editor",
                               "partners/example-union", ""};
  ResourceManager<v1::Alert> alerts(store_.get());
  alert.add_related_commitments(kPromise);
  absl::StatusOr<v1::Alert> filed = alerts.Create(union_editor, "", "", alert, "", "");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_THAT(filed->related_commitments(), ElementsAre(kPromise));
  // One that does not exist and one that was deleted are refused alike.
  alert.set_related_commitments(0, "partners/example-labour-ministry/commitments/nothing");
  const absl::StatusOr<v1::Alert> missing = alerts.Create(union_editor, "", "", alert, "", "");
  EXPECT_THAT(missing,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("alert.related_commitments[0]: ")));
  ASSERT_TRUE(ResourceManager<v1::Commitment>(store_.get()).Delete(kAdmin, kPromise, "").ok());
  alert.set_related_commitments(0, kPromise);
  const absl::StatusOr<v1::Alert> deleted = alerts.Create(union_editor, "", "", alert, "", "");
  EXPECT_THAT(deleted,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("alert.related_commitments[0]: ")));
  EXPECT_EQ(absl::StrReplaceAll(deleted.status().message(), {{kPromise, "X"}}),
            absl::StrReplaceAll(missing.status().message(),
                                {{"partners/example-labour-ministry/commitments/nothing", "X"}}));
}

MPOWER_ON_EVERY_BACKEND(ReportTest);

}  // namespace
}  // namespace mpower
