// SqliteStore::List: a page of one collection, read in name order in
// batches, through the term index when the query has a usable term.

#include "server/base/status_macros.h"
#include "server/storage/sqlite/rows.h"
#include "server/storage/sqlite/sqlite_store.h"

namespace mpower {
namespace {

// Rows read per statement.
constexpr int64_t kBatch = 256;

// The statement for the next batch after `after`. With a usable term, only
// the resources indexed by it, in the term index's name order; else the
// collection (of one parent, or all) in name order.
absl::StatusOr<std::unique_ptr<sqlite::Statement>> PrepareBatch(sqlite::Database& db,
                                                                const ListQuery& query,
                                                                bool use_terms,
                                                                absl::string_view after) {
  absl::StatusOr<std::unique_ptr<sqlite::Statement>> statement =
      use_terms ? db.Prepare(MPOWER_SELECT_INDEXED_RESOURCES
                             "WHERE t.collection = ?1 AND t.term = ?6 AND t.name > ?3 "
                             "AND (?2 = '' OR r.parent = ?2) AND (r.deleted = 0 OR ?4) "
                             "ORDER BY t.name LIMIT ?5")
      : query.parent.empty()
          ? db.Prepare(MPOWER_SELECT_RESOURCES
                       "WHERE collection = ?1 AND name > ?3 AND (deleted = 0 OR ?4) "
                       "ORDER BY name LIMIT ?5")
          : db.Prepare(MPOWER_SELECT_RESOURCES
                       "WHERE parent = ?2 AND collection = ?1 AND name > ?3 "
                       "AND (deleted = 0 OR ?4) ORDER BY name LIMIT ?5");
  if (!statement.ok()) return statement.status();
  (*statement)->BindText(1, query.collection);
  (*statement)->BindText(2, query.parent);
  (*statement)->BindText(3, after);
  (*statement)->BindInt64(4, query.show_deleted ? 1 : 0);
  (*statement)->BindInt64(5, kBatch);
  if (use_terms) (*statement)->BindText(6, query.term);
  return statement;
}

}  // namespace

absl::StatusOr<ListResult> SqliteStore::List(const ListQuery& query) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  // One read transaction, so the page is a consistent snapshot.
  sqlite::Transaction snapshot(*reader);
  MPOWER_RETURN_IF_ERROR(snapshot.Begin(sqlite::Transaction::kRead));
  ListResult result;
  std::string after = query.after_name;
  const bool use_terms = !query.term.empty() && terms_ready_.load();
  size_t scanned = 0;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(auto statement, PrepareBatch(*reader, query, use_terms, after));
    int64_t rows = 0;
    while (true) {
      MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
      if (!row) break;
      ++rows;
      ++scanned;
      MPOWER_ASSIGN_OR_RETURN(StoredResource resource, sqlite::ReadResource(*statement, keyring_));
      after = resource.name;
      if (!query.predicate || query.predicate(resource)) {
        result.items.push_back(std::move(resource));
      }
      if (result.items.size() >= query.limit || scanned >= query.max_scanned) {
        // Resume after the last row examined; a later call finds whether
        // anything is left.
        result.resume_after = after;
        return result;
      }
    }
    if (rows < kBatch) return result;  // the collection is exhausted
  }
}

}  // namespace mpower
