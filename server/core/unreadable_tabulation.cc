#include "server/core/unreadable_tabulation.h"

#include <algorithm>
#include <array>

#include "server/core/report_aggregates.h"

namespace mpower {
namespace {

absl::Time StartOf(absl::CivilMonth month) { return absl::FromCivil(month, absl::UTCTimeZone()); }

google::protobuf::Timestamp Stamp(absl::CivilMonth month) {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(StartOf(month)));
  return stamp;
}

absl::CivilMonth MonthOf(absl::Time time) {
  return absl::CivilMonth(absl::ToCivilSecond(time, absl::UTCTimeZone()));
}

absl::CivilYear YearOf(absl::Time time) { return absl::CivilYear(MonthOf(time)); }

int64_t Sum(const std::map<absl::CivilMonth, int64_t>& months, absl::CivilMonth from,
            absl::CivilMonth to) {
  int64_t sum = 0;
  for (auto it = months.lower_bound(from); it != months.end() && it->first < to; ++it) {
    sum += it->second;
  }
  return sum;
}

// The last instant before `end`, which the cell that ends a window holds.
absl::Time LastInstantBefore(absl::Time end) { return end - absl::Nanoseconds(1); }

}  // namespace

// The running figure over the cells a request selects.
class UnreadableTabulation::Accumulator {
 public:
  explicit Accumulator(int64_t threshold) : threshold_(threshold) {}

  void Count(const std::string& country, const Cell& cell) {
    std::optional<int64_t> shown = SuppressSmallCount(cell.count, threshold_);
    if (!shown.has_value()) {
      below_threshold_ = true;
      return;
    }
    figure_.set_at_least(figure_.at_least() + *shown);
    v1::UnreadableAlertCell* row = figure_.add_cells();
    row->set_country_code(country);
    *row->mutable_start_time() = Stamp(cell.start);
    *row->mutable_end_time() = Stamp(cell.end);
    row->set_at_least(*shown);
  }
  // Some selected cell holds fewer than the threshold: every unbounded
  // window selects empty years, for one.
  void BelowThreshold() { below_threshold_ = true; }
  void CountedFrom(std::optional<absl::CivilMonth> start) {
    if (!start.has_value()) unbounded_start_ = true;
    if (start.has_value() && (!start_.has_value() || *start < *start_)) start_ = start;
  }
  void CountedTo(std::optional<absl::CivilMonth> end) {
    if (!end.has_value()) unbounded_end_ = true;
    if (end.has_value() && (!end_.has_value() || *end > *end_)) end_ = end;
  }

  v1::UnreadableAlerts Figure() && {
    if (below_threshold_ || figure_.cells().empty()) figure_.set_fewer_than(threshold_);
    if (!unbounded_start_ && start_.has_value()) *figure_.mutable_start_time() = Stamp(*start_);
    if (!unbounded_end_ && end_.has_value()) *figure_.mutable_end_time() = Stamp(*end_);
    return std::move(figure_);
  }

 private:
  int64_t threshold_;
  v1::UnreadableAlerts figure_;
  bool below_threshold_ = false;
  bool unbounded_start_ = false;
  bool unbounded_end_ = false;
  std::optional<absl::CivilMonth> start_;
  std::optional<absl::CivilMonth> end_;
};

void UnreadableTabulation::Add(const std::string& country, absl::Time filed) {
  ++countries_[country][MonthOf(filed)];
}

std::vector<UnreadableTabulation::Cell> UnreadableTabulation::CellsOf(const Months& months,
                                                                      absl::CivilYear year) const {
  const absl::CivilMonth first(year);
  const int64_t total = Sum(months, first, first + 12);
  if (total < threshold_) return {Cell{first, first + 12, total}};
  std::array<int64_t, 4> quarters;
  for (int q = 0; q < 4; ++q) quarters[q] = Sum(months, first + 3 * q, first + 3 * q + 3);
  if (*std::min_element(quarters.begin(), quarters.end()) < threshold_) {
    return {Cell{first, first + 12, total}};
  }
  std::vector<Cell> cells;
  for (int q = 0; q < 4; ++q) {
    const absl::CivilMonth quarter = first + 3 * q;
    std::array<int64_t, 3> in_month;
    for (int m = 0; m < 3; ++m) in_month[m] = Sum(months, quarter + m, quarter + m + 1);
    if (*std::min_element(in_month.begin(), in_month.end()) < threshold_) {
      cells.push_back(Cell{quarter, quarter + 3, quarters[q]});
      continue;
    }
    for (int m = 0; m < 3; ++m) cells.push_back(Cell{quarter + m, quarter + m + 1, in_month[m]});
  }
  return cells;
}

UnreadableTabulation::Cell UnreadableTabulation::CellHolding(const Months* months,
                                                             absl::Time time) const {
  const absl::CivilYear year = YearOf(time);
  const absl::CivilMonth month = MonthOf(time);
  if (months == nullptr) return Cell{absl::CivilMonth(year), absl::CivilMonth(year + 1), 0};
  for (const Cell& cell : CellsOf(*months, year)) {
    if (cell.start <= month && month < cell.end) return cell;
  }
  return Cell{absl::CivilMonth(year), absl::CivilMonth(year + 1), 0};  // not reached
}

void UnreadableTabulation::AddCountry(const std::string& country, const Months* months,
                                      const TimeWindow& window, Accumulator& sum) const {
  std::optional<absl::CivilMonth> from;
  std::optional<absl::CivilMonth> to;
  if (window.start.has_value()) from = CellHolding(months, *window.start).start;
  if (window.end.has_value()) to = CellHolding(months, LastInstantBefore(*window.end)).end;
  sum.CountedFrom(from);
  sum.CountedTo(to);
  // An unbounded window, or a bounded one reaching a year without such
  // alerts, selects a cell below the threshold.
  if (!from.has_value() || !to.has_value()) sum.BelowThreshold();
  if (from.has_value() && to.has_value() && !(*from < *to)) {
    sum.BelowThreshold();  // an empty window selects nothing
    return;
  }
  std::vector<absl::CivilYear> years;
  if (months != nullptr) {
    for (const auto& [month, count] : *months) {
      const absl::CivilYear year(month);
      if (years.empty() || years.back() != year) years.push_back(year);
    }
  }
  int64_t years_selected = 0;
  for (absl::CivilYear year : years) {
    if (from.has_value() && absl::CivilYear(*from) > year) continue;
    if (to.has_value() && !(absl::CivilMonth(year) < *to)) continue;
    ++years_selected;
    for (const Cell& cell : CellsOf(*months, year)) {
      if ((from.has_value() && !(*from < cell.end)) || (to.has_value() && !(cell.start < *to))) {
        continue;
      }
      sum.Count(country, cell);
    }
  }
  if (from.has_value() && to.has_value()) {
    const int64_t years_spanned =
        absl::CivilYear(*to - 1) - absl::CivilYear(*from) + 1;  // `to` is exclusive
    if (years_selected < years_spanned) sum.BelowThreshold();
  }
}

v1::UnreadableAlerts UnreadableTabulation::EveryCountry(const TimeWindow& window) const {
  Accumulator sum(threshold_);
  for (const auto& [country, months] : countries_) AddCountry(country, &months, window, sum);
  // Some country has none of these alerts: its cells are whole years.
  AddCountry("", nullptr, window, sum);
  return std::move(sum).Figure();
}

v1::UnreadableAlerts UnreadableTabulation::Countries(
    const std::map<std::string, TimeWindow>& windows) const {
  Accumulator sum(threshold_);
  for (const auto& [country, window] : windows) {
    const auto found = countries_.find(country);
    AddCountry(country, found == countries_.end() ? nullptr : &found->second, window, sum);
  }
  return std::move(sum).Figure();
}

}  // namespace mpower
