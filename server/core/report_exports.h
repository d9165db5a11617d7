#ifndef MPOWER_SERVER_CORE_REPORT_EXPORTS_H_
#define MPOWER_SERVER_CORE_REPORT_EXPORTS_H_

// Documents partners publish elsewhere: commitments and initiatives as CSV
// (the commitment columns are those `mpower commitments sync` reads back),
// and commitments as IATI 2.03 activity XML. Pure functions of the
// resources they are given, already read and redacted for the caller.

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/initiative.pb.h"
#include "mpower/v1/partner.pb.h"

namespace mpower {

// RFC 4180 CSV with a header row: name, then the sync columns (plus
// provider_partner), then fulfilled_amount. Enum values lose their prefix
// (FUNDING) and lists are joined with ";", as the importer reads them.
std::string CommitmentsCsv(const std::vector<v1::Commitment>& commitments);

// RFC 4180 CSV with a header row, one row per initiative.
std::string InitiativesCsv(const std::vector<v1::Initiative>& initiatives);

// The resources an IATI export refers to, by name.
struct IatiContext {
  std::map<std::string, v1::Partner> partners;
  std::map<std::string, v1::Initiative> initiatives;
  absl::Time generated;
};

// An `iati-activities` document (version 2.03) with one activity per
// commitment. Organisations are identified by their IATI identifier, or by
// their mpower name when they have none (set one before publishing).
std::string IatiActivitiesXml(const std::vector<v1::Commitment>& commitments,
                              const IatiContext& context);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_REPORT_EXPORTS_H_
