// The figures of alerts a caller may not read (UnreadableAlerts): the fixed
// tabulation's arithmetic on a fixed timeline, and, on every backend, what
// a partner that may not read some alerts can learn by asking every report
// with every window, filter and grouping it likes.

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/text_format.h"
#include "server/base/status_macros.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/report_aggregates.h"
#include "server/core/reports.h"
#include "server/core/unreadable_tabulation.h"
#include "server/demo/demo_data.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Principal kAdmin = Principal::System();
const Principal kOutsider{Principal::Role::kPartnerViewer, "us-dol-viewer", "partners/us-dol", ""};
const Principal kOutsiderEditor{Principal::Role::kPartnerEditor, "us-dol-editor", "partners/us-dol",
                                ""};

absl::Time Utc(int year, int month, int day, int hour = 0) {
  return absl::FromCivil(absl::CivilHour(year, month, day, hour), absl::UTCTimeZone());
}

google::protobuf::Timestamp Stamp(absl::Time time) {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(time));
  stamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(stamp.seconds()))));
  return stamp;
}

std::string Span(const v1::UnreadableAlertCell& cell) {
  return absl::StrCat(cell.country_code(), " ",
                      absl::FormatTime("%Y-%m", absl::FromUnixSeconds(cell.start_time().seconds()),
                                       absl::UTCTimeZone()),
                      "..",
                      absl::FormatTime("%Y-%m", absl::FromUnixSeconds(cell.end_time().seconds()),
                                       absl::UTCTimeZone()),
                      " ", cell.at_least());
}

std::vector<std::string> Cells(const v1::UnreadableAlerts& figure) {
  std::vector<std::string> cells;
  for (const v1::UnreadableAlertCell& cell : figure.cells()) cells.push_back(Span(cell));
  return cells;
}

TEST(SmallCountRuleTest, NothingBelowTheThresholdIsShownNotEvenZero) {
  EXPECT_EQ(SuppressSmallCount(0, 3), std::nullopt);
  EXPECT_EQ(SuppressSmallCount(1, 3), std::nullopt);
  EXPECT_EQ(SuppressSmallCount(2, 3), std::nullopt);
  EXPECT_EQ(SuppressSmallCount(3, 3), 3);
  EXPECT_EQ(SuppressSmallCount(5, 3), 3);
  EXPECT_EQ(SuppressSmallCount(6, 3), 6);
}

TEST(UnreadableTabulationTest, NoneOneAndTwoInAYearLookTheSame) {
  std::vector<std::string> answers;
  for (int alerts = 0; alerts <= 2; ++alerts) {
    UnreadableTabulation tabulation(3);
    for (int i = 0; i < alerts; ++i) tabulation.Add("ID", Utc(2023, 3 + i, 10));
    for (const TimeWindow& window :
         {TimeWindow{}, TimeWindow{Utc(2023, 3, 10), Utc(2023, 3, 10, 1)},
          TimeWindow{Utc(2023, 1, 1), std::nullopt}}) {
      answers.push_back(absl::StrCat(tabulation.EveryCountry(window).SerializeAsString(), "|",
                                     tabulation.Countries({{"ID", window}}).SerializeAsString()));
    }
  }
  for (size_t i = 3; i < answers.size(); ++i) EXPECT_EQ(answers[i], answers[i % 3]) << i;
  UnreadableTabulation two(3);
  two.Add("ID", Utc(2023, 3, 10));
  two.Add("ID", Utc(2023, 4, 10));
  const v1::UnreadableAlerts figure = two.Countries({{"ID", {}}});
  EXPECT_EQ(figure.fewer_than(), 3);
  EXPECT_EQ(figure.at_least(), 0);
  EXPECT_THAT(figure.cells(), IsEmpty());
}

TEST(UnreadableTabulationTest, AYearSplitsOnlyWhereEveryPartReachesTheThreshold) {
  UnreadableTabulation tabulation(3);
  // 2023: three in every month but May, which has two: Q2 stays whole.
  for (int month = 1; month <= 12; ++month) {
    for (int i = 0; i < (month == 5 ? 2 : 3); ++i) tabulation.Add("ID", Utc(2023, month, 1 + i));
  }
  // 2024: four in Q1 only; the other quarters are empty, so the year stays
  // whole.
  for (int i = 0; i < 4; ++i) tabulation.Add("ID", Utc(2024, 2, 1 + i));
  const v1::UnreadableAlerts all = tabulation.Countries({{"ID", {}}});
  EXPECT_THAT(Cells(all),
              ElementsAre("ID 2023-01..2023-02 3", "ID 2023-02..2023-03 3", "ID 2023-03..2023-04 3",
                          "ID 2023-04..2023-07 6",  // 8, rounded down
                          "ID 2023-07..2023-08 3", "ID 2023-08..2023-09 3", "ID 2023-09..2023-10 3",
                          "ID 2023-10..2023-11 3", "ID 2023-11..2023-12 3", "ID 2023-12..2024-01 3",
                          "ID 2024-01..2025-01 3"));
  EXPECT_EQ(all.at_least(), 36);
  EXPECT_EQ(all.fewer_than(), 3) << "every other year is empty, so below the threshold";
  EXPECT_FALSE(all.has_start_time());
}

TEST(UnreadableTabulationTest, AWindowThatCutsACellCountsItWholeAndSaysSo) {
  UnreadableTabulation tabulation(3);
  for (int i = 0; i < 3; ++i) tabulation.Add("ID", Utc(2023, 5, 1 + i));
  for (int i = 0; i < 3; ++i) tabulation.Add("KE", Utc(2023, 8, 1 + i));
  // One hour in June: ID's 2023 is one cell (its quarters do not all reach
  // 3), so the three alerts of May count, and the span says 2023.
  const TimeWindow june{Utc(2023, 6, 10), Utc(2023, 6, 10, 1)};
  const v1::UnreadableAlerts id = tabulation.Countries({{"ID", june}});
  EXPECT_EQ(id.at_least(), 3);
  EXPECT_EQ(id.fewer_than(), 0) << "the one cell counted reached the threshold";
  EXPECT_EQ(id.start_time().seconds(), absl::ToUnixSeconds(Utc(2023, 1, 1)));
  EXPECT_EQ(id.end_time().seconds(), absl::ToUnixSeconds(Utc(2024, 1, 1)));
  const v1::UnreadableAlerts every = tabulation.EveryCountry(june);
  EXPECT_THAT(Cells(every), ElementsAre("ID 2023-01..2024-01 3", "KE 2023-01..2024-01 3"));
  EXPECT_EQ(every.at_least(), 6);
  EXPECT_EQ(every.fewer_than(), 3) << "other countries had none";
  // A window of the year before or after selects other cells.
  EXPECT_EQ(tabulation.Countries({{"ID", {Utc(2022, 1, 1), Utc(2023, 1, 1)}}}).at_least(), 0);
  EXPECT_EQ(tabulation.Countries({{"ID", {Utc(2024, 1, 1), std::nullopt}}}).at_least(), 0);
}

// The reports, as us-dol sees them: it may not read the demo's restricted
// detention in ID, nor the alerts these tests file restricted to the ILO.
class UnreadableFiguresTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(LoadDemoData(store_.get()).ok());
  }

  std::string FileHidden(const std::string& id, const std::string& country) {
    v1::Alert alert;
    alert.set_filing_partner("partners/example-union");
    alert.set_category(v1::Alert::CATEGORY_DISMISSAL_FOR_UNION_ACTIVITY);
    alert.set_severity(v1::Alert::SEVERITY_SEVERE);
    alert.set_urgency(v1::Alert::URGENCY_IMMEDIATE);
    alert.set_certainty(v1::Alert::CERTAINTY_OBSERVED);
    alert.set_country_code(country);
    alert.set_headline("hidden");
    alert.set_scope(v1::Alert::SCOPE_RESTRICTED);
    alert.add_recipient_partners("partners/ilo");
    absl::StatusOr<v1::Alert> created =
        ResourceManager<v1::Alert>(store_.get()).Create(kAdmin, "", id, alert, "", "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->name() : "";
  }

  // Moves an alert's filing time, as if it had been filed at `filed`.
  void Backdate(const std::string& name, absl::Time filed) {
    absl::StatusOr<int64_t> written = store_->Write([&](WriteTransaction& txn) -> absl::Status {
      MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> stored, txn.Get(name));
      if (!stored.has_value()) return absl::NotFoundError(name);
      v1::Alert alert;
      if (!alert.ParseFromString(stored->data)) return absl::InternalError("does not parse");
      *alert.mutable_create_time() = Stamp(filed);
      stored->data = alert.SerializeAsString();
      return txn.Put(*stored);
    });
    ASSERT_TRUE(written.ok()) << written.status();
  }

  absl::Time FilingTime(const std::string& name) {
    absl::StatusOr<v1::Alert> alert = ResourceManager<v1::Alert>(store_.get()).Get(kAdmin, name);
    EXPECT_TRUE(alert.ok()) << alert.status();
    return alert.ok() ? absl::FromUnixSeconds(alert->create_time().seconds()) +
                            absl::Nanoseconds(alert->create_time().nanos())
                      : absl::UnixEpoch();
  }

  v1::UnreadableAlerts Summary(std::optional<absl::Time> start, std::optional<absl::Time> end,
                               std::vector<v1::AlertDimension> group_by = {}) {
    v1::SummarizeAlertsRequest request;
    if (start.has_value()) *request.mutable_start_time() = Stamp(*start);
    if (end.has_value()) *request.mutable_end_time() = Stamp(*end);
    for (v1::AlertDimension dimension : group_by) request.add_group_by(dimension);
    absl::StatusOr<v1::SummarizeAlertsResponse> response =
        Reports(store_.get()).SummarizeAlerts(kOutsider, request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->unreadable_alerts() : v1::UnreadableAlerts();
  }

  // What us-dol is told of the alerts it may not read, by every report,
  // asked with every window, grouping and filter below, one answer each.
  std::vector<std::string> EveryFigure(absl::Time now, absl::Time around) {
    const std::vector<std::pair<std::optional<absl::Time>, std::optional<absl::Time>>> windows = {
        {std::nullopt, std::nullopt},
        {now - absl::Hours(1), now + absl::Hours(1)},
        {now - absl::Hours(24), std::nullopt},
        {std::nullopt, now - absl::Hours(24)},
        {around, around + absl::Milliseconds(1)},
        {around + absl::Milliseconds(1), std::nullopt},
        {std::nullopt, around},
        {Utc(2019, 1, 1), Utc(2020, 1, 1)},
        {Utc(1, 1, 1), Utc(9999, 1, 1)},
    };
    const std::vector<std::vector<v1::AlertDimension>> groupings = {
        {},
        {v1::ALERT_DIMENSION_COUNTRY},
        {v1::ALERT_DIMENSION_CATEGORY, v1::ALERT_DIMENSION_STATUS},
        {v1::ALERT_DIMENSION_COUNTRY, v1::ALERT_DIMENSION_CATEGORY, v1::ALERT_DIMENSION_SEVERITY,
         v1::ALERT_DIMENSION_STATUS}};
    std::vector<std::string> figures;
    for (const auto& [start, end] : windows) {
      for (const auto& grouping : groupings) {
        figures.push_back(Summary(start, end, grouping).SerializeAsString());
      }
    }
    Reports reports(store_.get());
    for (const std::string country : {"ID", "HN", "KE", "US"}) {
      v1::GetCountryBriefRequest request;
      request.set_country_code(country);
      absl::StatusOr<v1::GetCountryBriefResponse> brief =
          reports.GetCountryBrief(kOutsider, request);
      EXPECT_TRUE(brief.ok()) << brief.status();
      if (brief.ok()) figures.push_back(brief->unreadable_alerts().SerializeAsString());
    }
    for (const auto& [country, instrument] :
         std::vector<std::pair<std::string, v1::Commitment::Instrument>>{
             {"ID", v1::Commitment::INSTRUMENT_UNSPECIFIED},
             {"", v1::Commitment::INSTRUMENT_UNSPECIFIED},
             {"ID", v1::Commitment::INSTRUMENT_C087},
             {"ID", v1::Commitment::INSTRUMENT_C098},
             {"", v1::Commitment::INSTRUMENT_C190}}) {
      v1::GetAccountabilityReportRequest request;
      request.set_country_code(country);
      request.set_instrument(instrument);
      absl::StatusOr<v1::GetAccountabilityReportResponse> report =
          reports.GetAccountabilityReport(kOutsider, request);
      EXPECT_TRUE(report.ok()) << report.status();
      if (report.ok()) figures.push_back(report->unreadable_alerts().SerializeAsString());
    }
    return figures;
  }

  // The instant, to the millisecond, in [low, high) where `holds` turns
  // from true to false, as an attacker bisecting windows would find it.
  // REQUIRES: holds(low) and !holds(high).
  absl::Time Bisect(absl::Time low, absl::Time high, const std::function<bool(absl::Time)>& holds) {
    while (high - low > absl::Milliseconds(1)) {
      const absl::Time middle = low + absl::Milliseconds(absl::ToInt64Milliseconds(high - low) / 2);
      (holds(middle) ? low : high) = middle;
    }
    return high;
  }
};

TEST_P(UnreadableFiguresTest, NoRequestTellsTwoHiddenAlertsFromNoneOrThree) {
  // The demo's detention and a second restricted alert, both in ID, this
  // year. us-dol also holds a commitment of its own on ID whose start date
  // it chose: the day the detention was filed, to cut the accountability
  // report's window there.
  const std::string second = FileHidden("second-hidden", "ID");
  const absl::Time detention = FilingTime("alerts/example-detention-west-kalimantan");
  const absl::CivilDay day(absl::ToCivilSecond(detention, absl::UTCTimeZone()));
  v1::Commitment probe;
  probe.set_kind(v1::Commitment::KIND_POLICY);
  probe.set_title("A probe");
  probe.add_country_codes("ID");
  probe.set_instrument(v1::Commitment::INSTRUMENT_C087);
  probe.set_policy_action(v1::Commitment::POLICY_ACTION_ENFORCE);
  probe.mutable_start_date()->set_year(static_cast<int32_t>(day.year()));
  probe.mutable_start_date()->set_month(day.month());
  probe.mutable_start_date()->set_day(day.day());
  absl::StatusOr<v1::Commitment> created =
      ResourceManager<v1::Commitment>(store_.get())
          .Create(kOutsiderEditor, "partners/us-dol", "probe", probe, "", "");
  ASSERT_TRUE(created.ok()) << created.status();

  const absl::Time now = absl::Now();
  const std::vector<std::string> two = EveryFigure(now, detention);
  for (const std::string& bytes : two) {
    v1::UnreadableAlerts figure;
    ASSERT_TRUE(figure.ParseFromString(bytes));
    EXPECT_EQ(figure.fewer_than(), 3) << figure.DebugString();
    EXPECT_EQ(figure.at_least(), 0) << figure.DebugString();
  }
  // Neither present.
  ResourceManager<v1::Alert> alerts(store_.get());
  ASSERT_TRUE(alerts.Delete(kAdmin, "alerts/example-detention-west-kalimantan", "").ok());
  ASSERT_TRUE(alerts.Delete(kAdmin, second, "").ok());
  EXPECT_EQ(EveryFigure(now, detention), two) << "none looks like two";
  // Both, and a third in ID in another year.
  ASSERT_TRUE(alerts.Undelete(kAdmin, "alerts/example-detention-west-kalimantan", "").ok());
  ASSERT_TRUE(alerts.Undelete(kAdmin, second, "").ok());
  Backdate(FileHidden("third-hidden", "ID"), Utc(2019, 6, 15, 12));
  EXPECT_EQ(EveryFigure(now, detention), two) << "three looks like two";
}

TEST_P(UnreadableFiguresTest, BisectingWindowsDatesHiddenAlertsNoFinerThanTheirCell) {
  const std::vector<std::string> names = {FileHidden("a", "KE"), FileHidden("b", "KE"),
                                          FileHidden("c", "KE")};
  // What an attacker finds by bisecting the start and then the end of a
  // window over a century, for the alerts filed at `placement`: where the
  // figure stops showing three.
  const auto attack = [&](const std::vector<absl::Time>& placement) {
    for (size_t i = 0; i < names.size(); ++i) Backdate(names[i], placement[i]);
    const auto reaches = [](const v1::UnreadableAlerts& figure) { return figure.at_least() >= 3; };
    const absl::Time after = Bisect(Utc(2000, 1, 1), Utc(2100, 1, 1), [&](absl::Time t) {
      return reaches(Summary(t, std::nullopt));
    });
    const absl::Time before = Bisect(Utc(2000, 1, 1), Utc(2100, 1, 1), [&](absl::Time t) {
      return !reaches(Summary(std::nullopt, t));
    });
    return std::make_pair(before, after);
  };
  // Two alerts alone: every window gets the answer it would get with
  // neither filed, so there is nothing to bisect.
  ResourceManager<v1::Alert> alerts(store_.get());
  Backdate(names[0], Utc(2023, 2, 3, 4));
  Backdate(names[1], Utc(2023, 11, 20, 9));
  ASSERT_TRUE(alerts.Delete(kAdmin, names[2], "").ok());
  const auto every_week = [&] {
    std::vector<std::string> answers;
    for (absl::Time t = Utc(2022, 12, 1); t < Utc(2024, 2, 1); t += absl::Hours(24 * 7)) {
      answers.push_back(Summary(t, t + absl::Hours(24 * 7)).SerializeAsString());
      answers.push_back(Summary(t, std::nullopt).SerializeAsString());
      answers.push_back(Summary(std::nullopt, t).SerializeAsString());
    }
    return answers;
  };
  const std::vector<std::string> with_two = every_week();
  for (const std::string& bytes : with_two) {
    v1::UnreadableAlerts figure;
    ASSERT_TRUE(figure.ParseFromString(bytes));
    EXPECT_EQ(figure.at_least(), 0) << figure.DebugString();
    EXPECT_EQ(figure.fewer_than(), 3) << figure.DebugString();
  }
  ASSERT_TRUE(alerts.Delete(kAdmin, names[0], "").ok());
  ASSERT_TRUE(alerts.Delete(kAdmin, names[1], "").ok());
  EXPECT_EQ(every_week(), with_two);
  for (const std::string& name : names) ASSERT_TRUE(alerts.Undelete(kAdmin, name, "").ok());
  // Three, placed two ways within 2023: the attacker finds 2023 both times,
  // to the millisecond the same, and nothing of where in it they fell.
  const auto spread = attack({Utc(2023, 2, 3, 4), Utc(2023, 5, 5), Utc(2023, 11, 20, 9)});
  const auto edges = attack({Utc(2023, 1, 1), Utc(2023, 7, 1), Utc(2023, 12, 31, 23)});
  EXPECT_EQ(spread, edges);
  EXPECT_EQ(spread.first, Utc(2023, 1, 1) + absl::Milliseconds(1));
  EXPECT_EQ(spread.second, Utc(2024, 1, 1));
}

MPOWER_ON_EVERY_BACKEND(UnreadableFiguresTest);

}  // namespace
}  // namespace mpower
