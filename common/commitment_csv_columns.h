#ifndef MPOWER_COMMON_COMMITMENT_CSV_COLUMNS_H_
#define MPOWER_COMMON_COMMITMENT_CSV_COLUMNS_H_

// The columns of a commitments spreadsheet: what `mpower commitments sync`
// reads and, in the same order, what `mpower report export --format
// commitments-csv` writes, so that an export syncs back unchanged. One list
// for the client and the server, so the two cannot drift apart.

#include <array>
#include <string_view>

namespace mpower {

// The columns sync reads, in the order the README documents them.
inline constexpr std::array<std::string_view, 19> kCommitmentSyncColumns = {"external_id",
                                                                            "kind",
                                                                            "title",
                                                                            "description",
                                                                            "amount",
                                                                            "currency",
                                                                            "contribution_basis",
                                                                            "recipient_partner",
                                                                            "provider_partner",
                                                                            "initiative",
                                                                            "start_date",
                                                                            "end_date",
                                                                            "status",
                                                                            "country_codes",
                                                                            "action_areas",
                                                                            "instrument",
                                                                            "instrument_reference",
                                                                            "policy_action",
                                                                            "milestones"};

// The export's output-only columns, which sync reads past: the name comes
// first, before the sync columns; the derived ones come last.
inline constexpr std::string_view kCommitmentNameColumn = "name";
inline constexpr std::array<std::string_view, 2> kCommitmentDerivedColumns = {"fulfilled_amount",
                                                                              "stage"};

}  // namespace mpower

#endif  // MPOWER_COMMON_COMMITMENT_CSV_COLUMNS_H_
