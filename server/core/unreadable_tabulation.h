#ifndef MPOWER_SERVER_CORE_UNREADABLE_TABULATION_H_
#define MPOWER_SERVER_CORE_UNREADABLE_TABULATION_H_

// The fixed tabulation of the alerts a caller may not read, from which
// every report's UnreadableAlerts figure comes (the argument for why no
// combination of requests can isolate one alert is on ReportService in
// report.proto). Requests only choose which whole cells to add up; the
// cells themselves depend on nothing a request says. Pure arithmetic on
// filing times, so tests can give it a fixed timeline.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "mpower/v1/report.pb.h"

namespace mpower {

// A half-open span of time, [start, end); a missing end is unbounded.
struct TimeWindow {
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};

// The alerts one caller may not read, by country and calendar month of
// filing, cut into cells: each country's calendar years, a year split into
// quarters only if every quarter holds at least the threshold, a quarter
// into months only if every month does. So every cell holds at least the
// threshold, except whole years that hold fewer, which SuppressSmallCount
// hides. Not thread-safe; built and read within one report.
class UnreadableTabulation {
 public:
  // REQUIRES: threshold >= 1.
  explicit UnreadableTabulation(int64_t threshold) : threshold_(threshold) {}

  // Counts one alert the caller may not read, about `country`, filed at
  // `filed`.
  void Add(const std::string& country, absl::Time filed);

  // The figure for every country's cells that overlap `window`, counted
  // whole. Countries without such alerts have cells too (empty years), so
  // the figure always says "fewer than" as well.
  v1::UnreadableAlerts EveryCountry(const TimeWindow& window) const;

  // The figure for each country's cells that overlap that country's window,
  // counted whole. No countries counts no cells: "fewer than".
  v1::UnreadableAlerts Countries(const std::map<std::string, TimeWindow>& windows) const;

 private:
  // One cell: the months [start, end) of one country.
  struct Cell {
    absl::CivilMonth start;
    absl::CivilMonth end;
    int64_t count = 0;
  };
  using Months = std::map<absl::CivilMonth, int64_t>;
  class Accumulator;

  // The cells of `year` for a country with `months`.
  std::vector<Cell> CellsOf(const Months& months, absl::CivilYear year) const;
  // The cell holding `time`, for a country with `months` (none: no alerts).
  Cell CellHolding(const Months* months, absl::Time time) const;
  // Adds one country's cells that overlap `window` to `sum`.
  void AddCountry(const std::string& country, const Months* months, const TimeWindow& window,
                  Accumulator& sum) const;

  int64_t threshold_;
  std::map<std::string, Months> countries_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_UNREADABLE_TABULATION_H_
