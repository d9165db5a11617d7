// Group commit: concurrent writes share transactions and fsyncs, yet each
// keeps its own outcome and revision, and a failing write takes nothing of
// the others with it.

#include <set>
#include <thread>

#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

class GroupCommitTest : public testing::StoreTest {};

TEST_F(GroupCommitTest, ConcurrentWritesKeepTheirOwnOutcomesAndRevisions) {
  v1::Partner partner;
  partner.set_display_name("P");
  partner.set_type(v1::Partner::TYPE_TRADE_UNION);
  partner.set_country_code("ID");
  ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                  .Create(Principal::System(), "", "p", partner, "", "").ok());
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

}  // namespace
}  // namespace mpower
