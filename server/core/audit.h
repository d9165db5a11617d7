#ifndef MPOWER_SERVER_CORE_AUDIT_H_
#define MPOWER_SERVER_CORE_AUDIT_H_

// The audit trail: every write, and every read of protected alert details,
// recorded with who, when, what and which request, in a hash chain.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/core/access.h"
#include "server/storage/store.h"

namespace mpower {

// The method name under which reads of protected details are recorded.
inline constexpr absl::string_view kReadProtectedDetails = "ReadProtectedDetails";

// An entry for `principal` doing `method` on `resource` now; the store
// fills in its sequence and hashes.
AuditRecord MakeAuditRecord(const Principal& principal, absl::string_view method,
                            absl::string_view resource, absl::string_view request_id);

// The hash of `record`: SHA-256 over every field but `hash`, each
// length-prefixed so no two different entries share an encoding.
std::string ChainHash(const AuditRecord& record);

// Appends `record` inside `txn`.
absl::Status AppendAudit(WriteTransaction& txn, AuditRecord record);

// A disclosure of protected details: `resource`'s, to `reader`.
struct Disclosure {
  Principal reader;
  std::string resource;
};

// Records `disclosures` in the audit trail in one write, which survives a
// crash of mpowerd without waiting for the disk (Durability's
// kProcessCrashSafe). OK at once for none.
absl::Status RecordDisclosures(Store& store, const std::vector<Disclosure>& disclosures);
// The same for one reader's disclosures of `resources`.
absl::Status RecordDisclosures(Store& store, const Principal& reader,
                               const std::vector<std::string>& resources);

// Checks the whole chain: sequences 1, 2, 3, ... without gaps, each entry's
// previous_hash equal to the hash before it, each hash recomputing.
// DATA_LOSS naming the first bad entry and what is wrong with it.
absl::Status VerifyAuditChain(Store& store);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_AUDIT_H_
