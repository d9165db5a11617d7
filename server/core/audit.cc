#include "server/core/audit.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/base/status_macros.h"
#include "server/storage/crypto.h"

namespace mpower {

AuditRecord MakeAuditRecord(const Principal& principal, absl::string_view method,
                            absl::string_view resource, absl::string_view request_id) {
  AuditRecord record;
  record.unix_micros = absl::ToUnixMicros(absl::Now());
  record.principal = principal.id;
  record.method = std::string(method);
  record.resource = std::string(resource);
  record.request_id = std::string(request_id);
  return record;
}

std::string ChainHash(const AuditRecord& record) {
  const std::string sequence = absl::StrCat(record.sequence);
  const std::string micros = absl::StrCat(record.unix_micros);
  std::string encoded;
  for (const std::string* field : {&sequence, &micros, &record.principal, &record.method,
                                   &record.resource, &record.request_id, &record.previous_hash}) {
    absl::StrAppend(&encoded, field->size(), ":", *field);
  }
  // Only entries with a reason hash one, so the entries written before
  // reasons existed keep their hashes.
  if (!record.reason.empty()) {
    absl::StrAppend(&encoded, "reason", record.reason.size(), ":", record.reason);
  }
  return Sha256Hex(encoded);
}

absl::Status AppendAudit(WriteTransaction& txn, AuditRecord record) {
  return txn.AppendAudit(std::move(record), ChainHash);
}

absl::Status RecordDisclosures(Store& store, const std::vector<Disclosure>& disclosures) {
  if (disclosures.empty()) return absl::OkStatus();
  return store
      .Write(Durability::kProcessCrashSafe,
             [&](WriteTransaction& txn) -> absl::Status {
               for (const Disclosure& disclosure : disclosures) {
                 MPOWER_RETURN_IF_ERROR(
                     AppendAudit(txn, MakeAuditRecord(disclosure.reader, kReadProtectedDetails,
                                                      disclosure.resource, "")));
               }
               return absl::OkStatus();
             })
      .status();
}

absl::Status RecordDisclosures(Store& store, const Principal& reader,
                               const std::vector<std::string>& resources) {
  std::vector<Disclosure> disclosures;
  disclosures.reserve(resources.size());
  for (const std::string& resource : resources) disclosures.push_back({reader, resource});
  return RecordDisclosures(store, disclosures);
}

absl::Status VerifyAuditChain(Store& store) {
  int64_t expected_sequence = 1;
  std::string previous_hash;
  constexpr size_t kBatch = 1000;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(std::vector<AuditRecord> records,
                            store.ListAudit(expected_sequence - 1, kBatch));
    for (const AuditRecord& record : records) {
      const auto bad = [&](absl::string_view what) {
        return absl::DataLossError(absl::StrCat("audit entry ", record.sequence, " (",
                                                record.method, " ", record.resource, "): ", what));
      };
      if (record.sequence != expected_sequence) {
        return absl::DataLossError(absl::StrCat("audit entry ", expected_sequence,
                                                " is missing: the next entry is ", record.sequence,
                                                "; entries were deleted"));
      }
      if (record.previous_hash != previous_hash) {
        return bad("does not follow the entry before it; entries were deleted or reordered");
      }
      if (ChainHash(record) != record.hash) {
        return bad("its contents do not match its hash; the entry was edited");
      }
      previous_hash = record.hash;
      ++expected_sequence;
    }
    if (records.size() < kBatch) return absl::OkStatus();
  }
}

}  // namespace mpower
