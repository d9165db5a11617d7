// Group commit: concurrent writes share transactions and fsyncs, yet each
// keeps its own outcome and revision, and a failing write takes nothing of
// the others with it.

#include <atomic>
#include <set>
#include <thread>

#include "server/core/audit.h"
#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

class GroupCommitTest : public testing::StoreTest {};

TEST_P(GroupCommitTest, ConcurrentWritesKeepTheirOwnOutcomesAndRevisions) {
  v1::Partner partner;
  partner.set_display_name("P");
  partner.set_type(v1::Partner::TYPE_TRADE_UNION);
  partner.set_country_code("ID");
  ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                  .Create(Principal::System(), "", "p", partner, "", "")
                  .ok());
  const int64_t before = *store_->CurrentRevision();
  constexpr int kThreads = 8, kWrites = 40;
  std::mutex mutex;
  std::set<int64_t> revisions;
  int created = 0, duplicates = 0, other_errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ResourceManager<v1::Commitment> manager(store_.get());
      for (int i = 0; i <= kWrites; ++i) {
        v1::Commitment commitment;
        commitment.set_kind(v1::Commitment::KIND_POLICY);
        commitment.set_title("t");
        // Every thread also tries the same id once: one wins.
        const std::string id = i == kWrites ? "same-id" : absl::StrCat("t", t, "-", i);
        absl::StatusOr<v1::Commitment> result =
            manager.Create(Principal::System(), "partners/p", id, commitment, "", "");
        std::lock_guard<std::mutex> lock(mutex);
        if (result.ok()) {
          ++created;
          // The etag is "r" + the revision it was written at.
          revisions.insert(std::stoll(result->etag().substr(1)));
        } else if (absl::IsAlreadyExists(result.status())) {
          ++duplicates;
        } else {
          ++other_errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(created, kThreads * kWrites + 1);
  EXPECT_EQ(duplicates, kThreads - 1);
  EXPECT_EQ(other_errors, 0);
  // One revision each, none shared, none skipped.
  EXPECT_EQ(static_cast<int>(revisions.size()), created);
  EXPECT_EQ(*revisions.begin(), before + 1);
  EXPECT_EQ(*revisions.rbegin(), before + created);
  EXPECT_EQ(*store_->CurrentRevision(), before + created);
  absl::StatusOr<std::vector<ChangeRecord>> changes = store_->ListChanges(before, "", 100000);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(static_cast<int>(changes->size()), created);
}

// A write that appends to the audit trail and then fails takes its record
// with it, and the writes grouped after it chain on from the record before.
TEST_P(GroupCommitTest, AFailedWriteLeavesTheAuditChainWhole) {
  constexpr int kThreads = 8, kWrites = 30;
  std::atomic<int> kept = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const bool fails = (t + i) % 2 == 0;
        absl::StatusOr<int64_t> written = store_->Write([&](WriteTransaction& txn) -> absl::Status {
          MPOWER_RETURN_IF_ERROR(AppendAudit(
              txn, MakeAuditRecord(Principal::System(), "Test", absl::StrCat("w", t, "-", i), "")));
          if (fails)
            return absl::FailedPreconditionError("this write fails after its audit record");
          return absl::OkStatus();
        });
        EXPECT_EQ(written.ok(), !fails) << written.status();
        if (written.ok()) ++kept;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(VerifyAuditChain(*store_).ok()) << VerifyAuditChain(*store_);
  absl::StatusOr<std::vector<AuditRecord>> records = store_->ListAudit(0, 100000);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(static_cast<int>(records->size()), kept.load());
}

// A resource created and changed again within one write keeps only what it
// last said: its old index terms and references must not linger (a stale
// reference would forbid deleting what it no longer refers to).
TEST_P(GroupCommitTest, AResourcePutTwiceInOneWriteKeepsOnlyItsLastTermsAndReferences) {
  // The term is the resource's data, so each put chooses its own.
  ASSERT_TRUE(store_
                  ->SetTermExtractor("data-is-the-term",
                                     [](const StoredResource& resource) {
                                       return std::vector<std::string>{resource.data};
                                     })
                  .ok());
  for (const std::string& target : {"things/old", "things/new"}) {
    ASSERT_TRUE(store_
                    ->Write([&](WriteTransaction& txn) {
                      StoredResource thing;
                      thing.name = target;
                      thing.collection = "things";
                      thing.create_revision = thing.update_revision = txn.revision();
                      thing.data = "plain";
                      return txn.Put(thing);
                    })
                    .ok());
  }
  ASSERT_TRUE(store_
                  ->Write([](WriteTransaction& txn) -> absl::Status {
                    StoredResource item;
                    item.name = "items/i";
                    item.collection = "items";
                    item.create_revision = item.update_revision = txn.revision();
                    item.data = "first";
                    item.references = {"things/old"};
                    MPOWER_RETURN_IF_ERROR(txn.Put(item));
                    item.data = "second";
                    item.references = {"things/new"};
                    return txn.Put(item);
                  })
                  .ok());

  const auto names_with_term = [&](const std::string& term) {
    ListQuery query;
    query.collection = "items";
    query.term = term;
    absl::StatusOr<ListResult> listed = store_->List(query);
    EXPECT_TRUE(listed.ok()) << listed.status();
    std::vector<std::string> names;
    if (listed.ok()) {
      for (const StoredResource& resource : listed->items) names.push_back(resource.name);
    }
    return names;
  };
  EXPECT_THAT(names_with_term("first"), ::testing::IsEmpty());
  EXPECT_THAT(names_with_term("second"), ::testing::ElementsAre("items/i"));
  absl::StatusOr<bool> old_referenced, new_referenced;
  ASSERT_TRUE(store_
                  ->Write([&](WriteTransaction& txn) {
                    old_referenced = txn.IsReferenced("things/old");
                    new_referenced = txn.IsReferenced("things/new");
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(old_referenced.ok() && new_referenced.ok());
  EXPECT_FALSE(*old_referenced);
  EXPECT_TRUE(*new_referenced);
}

// Insert refuses a name that is taken, however late the backend finds out:
// the refused write fails ALREADY_EXISTS and keeps nothing, the one already
// there is untouched, and a write grouped with it either commits or fails
// UNAVAILABLE (on a backend that learns of the conflict only after running the
// writes behind it), writing nothing, so that retrying it is safe.
TEST_P(GroupCommitTest, AnInsertOfATakenNameFailsAloneAndWritesGroupedWithItRetryCleanly) {
  const auto thing = [](const std::string& name, const std::string& data, int64_t revision) {
    StoredResource resource;
    resource.name = name;
    resource.collection = "things";
    resource.create_revision = resource.update_revision = revision;
    resource.data = data;
    return resource;
  };
  ASSERT_TRUE(store_
                  ->Write([&](WriteTransaction& txn) {
                    return txn.Put(thing("things/taken", "first", txn.revision()));
                  })
                  .ok());
  const int64_t before = *store_->CurrentRevision();
  constexpr int kThreads = 8, kWrites = 30;
  std::atomic<int> refused = 0, undone = 0, other_errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const bool conflicts = (t + i) % 3 == 0;
        const std::string name = conflicts ? "things/taken" : absl::StrCat("things/t", t, "-", i);
        for (int attempt = 0; attempt < 100; ++attempt) {
          absl::StatusOr<int64_t> written =
              store_->Write([&](WriteTransaction& txn) -> absl::Status {
                MPOWER_RETURN_IF_ERROR(
                    AppendAudit(txn, MakeAuditRecord(Principal::System(), "Test", name, "")));
                return txn.Insert(thing(name, "second", txn.revision()));
              });
          if (written.ok()) break;
          if (absl::IsUnavailable(written.status())) {
            ++undone;
            continue;
          }
          if (absl::IsAlreadyExists(written.status()) && conflicts) {
            ++refused;
          } else {
            ++other_errors;
          }
          break;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  constexpr int kConflicting = kThreads * kWrites / 3;
  constexpr int kNew = kThreads * kWrites - kConflicting;
  EXPECT_EQ(refused.load(), kConflicting);
  EXPECT_EQ(other_errors.load(), 0);
  if (GetParam() == testing::Backend::kSqlite) EXPECT_EQ(undone.load(), 0);

  absl::StatusOr<std::optional<StoredResource>> taken = store_->Get("things/taken");
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->data, "first");
  EXPECT_EQ((*taken)->update_revision, before);
  // Every new thing once, at revisions without a gap, each in the history
  // and in the audit trail once; nothing of the refused or undone tries.
  EXPECT_EQ(*store_->CurrentRevision(), before + kNew);
  absl::StatusOr<std::vector<ChangeRecord>> changes = store_->ListChanges(before, "", 100000);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(static_cast<int>(changes->size()), kNew);
  std::set<std::string> changed;
  for (int k = 0; k < kNew; ++k) {
    EXPECT_EQ((*changes)[k].revision, before + 1 + k);
    changed.insert((*changes)[k].resource.name);
  }
  EXPECT_EQ(static_cast<int>(changed.size()), kNew);
  EXPECT_EQ(changed.count("things/taken"), 0u);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWrites; ++i) {
      if ((t + i) % 3 == 0) continue;
      absl::StatusOr<std::optional<StoredResource>> got =
          store_->Get(absl::StrCat("things/t", t, "-", i));
      EXPECT_TRUE(got.ok() && got->has_value()) << "things/t" << t << "-" << i;
    }
  }
  EXPECT_TRUE(VerifyAuditChain(*store_).ok()) << VerifyAuditChain(*store_);
  absl::StatusOr<std::vector<AuditRecord>> records = store_->ListAudit(0, 100000);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(static_cast<int>(records->size()), kNew);
}

MPOWER_ON_EVERY_BACKEND(GroupCommitTest);

}  // namespace
}  // namespace mpower
