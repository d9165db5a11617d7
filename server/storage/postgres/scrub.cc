#include "server/storage/postgres/scrub.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"

namespace mpower::postgres {
namespace {

// An UPDATE leaves the old row version behind, dead, in the table's file.
// Measured on PostgreSQL 15 with a byte search of the table's file after a
// CHECKPOINT: plain VACUUM prunes dead versions but does not zero their
// bytes, and where no live row moves over them (the last row of a full
// page) the old text stays on disk. VACUUM FULL writes each table anew and
// truncates its old file at once, so no file holds the text, with or
// without a checkpoint. Its cost: it rewrites the resources and the whole
// history with their indexes under an ACCESS EXCLUSIVE lock, so every read
// and write of the store, on every replica, waits for it (seconds for a
// large history; compaction keeps that short). Only a narrowing or a purge
// of shareable text pays it, and they are rare. lock_timeout bounds the
// wait for a lock a long read holds, so that the queue behind it never
// grows long; then it is logged for the operator to run. A dead version
// some open snapshot still sees survives VACUUM FULL too, and that means
// a transaction open anywhere in the cluster, other databases included
// (measured: one idle transaction in the `postgres` database kept them).
// So the vacuum first waits, for up to 10 s, for the transactions open
// when it starts to end; one still open then is logged.
constexpr absl::Duration kOlderTransactionsWait = absl::Seconds(10);

// Waits until no transaction (or snapshot) open now, in any database of
// the cluster, is still open; false if some still is after `limit`.
// Other roles' sessions show their transactions only to a role with
// pg_read_all_stats (README says so): without it they are not waited for.
bool AwaitOlderTransactions(Connection& connection, absl::Duration limit) {
  // A session's transaction is the pair of its pid and when it began.
  constexpr char kOpen[] =
      "SELECT coalesce(string_agg(pid::text || '@' || xact_start::text, ','), '') "
      "FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL "
      "AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)";
  absl::StatusOr<std::unique_ptr<Result>> open =
      connection.Query(kOpen, "finding older transactions");
  if (!open.ok()) return false;
  const std::string listed = (*open)->Bytes(0, 0);
  if (listed.empty()) return true;
  const std::vector<std::string> older = absl::StrSplit(listed, ',');
  const absl::Time until = absl::Now() + limit;
  while (absl::Now() < until) {
    absl::StatusOr<std::unique_ptr<Result>> remaining = connection.Query(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE (pid::text || '@' || xact_start::text) = ANY($1::text[])",
        Params().TextArray(older), "waiting for older transactions");
    if (!remaining.ok()) return false;
    if ((*remaining)->Int64(0, 0) == 0) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// True if the dead row versions are gone from the table files.
bool VacuumRewritten(Connection& connection) {
  const bool alone = AwaitOlderTransactions(connection, kOlderTransactionsWait);
  if (!alone) {
    Log(LogLevel::kWarning, "storage",
        "a transaction older than a narrowing or purge of shareable text is still open after "
        "10 s; the vacuum that follows cannot remove the old row versions it may see, so "
        "their text stays in the table files until the tables' owner runs VACUUM FULL "
        "resources, changes once it has ended");
  }
  absl::Status status = connection.Execute("SET lock_timeout TO '5s'", "vacuuming");
  if (status.ok()) status = connection.Execute("VACUUM FULL resources, changes", "vacuuming");
  connection.Execute("RESET lock_timeout", "vacuuming").IgnoreError();
  if (!status.ok()) {
    Log(LogLevel::kWarning, "storage",
        absl::StrCat("could not vacuum the rows a narrowing or purge rewrote (", status.message(),
                     "); their old text stays in the table files until the tables' owner runs "
                     "VACUUM FULL resources, changes"));
  }
  return alone && status.ok();
}

// The write-ahead log holds each row as it was written, and the page
// images of the narrowing's own UPDATE hold the old version beside the
// new. A CHECKPOINT lets PostgreSQL remove or recycle the segments before
// its redo point; a recycled segment file keeps its bytes under a future
// segment's name until it is reused. pg_switch_wal() ends the current
// segment and writes zero pages over the rest of it. So rounds of
// CHECKPOINT and pg_switch_wal() overwrite segment files one at a time, in
// name order. By the second round's checkpoint every segment from before
// the scrub has been removed or recycled; once the current segment's name
// is past the last file in pg_wal then, every one of them has been
// overwritten from start to end. Measured on PostgreSQL 15: with 26 files
// the text was gone after 9 rounds, the files then shrinking by one a
// round; with one file, after 3 rounds (two did not do: the second
// recycles the first segment to the end of the queue). A round takes a
// fraction of a second; the switched segments are archived if archiving
// is on. A segment not yet archived, or kept for a replication slot or by
// wal_keep_size, is not removed: then the scrub stops and says so, rather
// than cycle on. Segment files are compared by their number, the name
// after its timeline (as PostgreSQL compares them when it removes them).
//
// This needs what mpowerd's role should not have unasked: the
// pg_checkpoint role and EXECUTE on pg_switch_wal() and pg_ls_waldir().
// Without them the scrub says in the log what to run. It runs only after
// a complete vacuum: with dead versions still in the tables, later page
// images would write their text to the log again.
constexpr int kMaxWalRounds = 512;    // 8 GiB of default-sized segments
constexpr int kMaxRemovalRounds = 8;  // for the old segments to go
constexpr char kSegments[] = "pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'";

absl::Status WalRound(Connection& connection) {
  MPOWER_RETURN_IF_ERROR(connection.Execute("CHECKPOINT", "recycling the write-ahead log"));
  return connection.Query("SELECT pg_switch_wal()", "recycling the write-ahead log").status();
}

// The one value `sql` reads: a segment file's name, or its number.
absl::StatusOr<std::string> SegmentName(Connection& connection, const char* sql) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Result> result,
                          connection.Query(sql, "reading the write-ahead log's segments"));
  return result->Bytes(0, 0);
}

// How many segment files numbered up to `segment`'s number remain.
absl::StatusOr<int64_t> SegmentsUpTo(Connection& connection, const std::string& segment) {
  MPOWER_ASSIGN_OR_RETURN(
      std::unique_ptr<Result> result,
      connection.Query(
          absl::StrCat("SELECT count(*) FROM ", kSegments, " AND substr(name, 9) <= substr($1, 9)")
              .c_str(),
          Params().Text(segment), "reading the write-ahead log's segments"));
  return result->Int64(0, 0);
}

absl::Status RecycleWriteAheadLog(Connection& connection) {
  MPOWER_ASSIGN_OR_RETURN(const std::string first,
                          SegmentName(connection, "SELECT pg_walfile_name(pg_current_wal_lsn())"));
  // Until every segment up to the one current now has been removed or
  // recycled: two rounds, unless something still keeps one.
  int rounds = 0;
  while (true) {
    MPOWER_RETURN_IF_ERROR(WalRound(connection));
    ++rounds;
    if (rounds < 2) continue;
    MPOWER_ASSIGN_OR_RETURN(const int64_t kept, SegmentsUpTo(connection, first));
    if (kept == 0) break;
    if (rounds == kMaxRemovalRounds) {
      return absl::FailedPreconditionError(
          absl::StrCat(kept, " segment files up to ", first,
                       " are still kept (not yet archived, or held by a replication slot or "
                       "wal_keep_size)"));
    }
  }
  // Then until the current segment is past every file there now. The
  // highest by number, not by name: after a promotion, files of an older
  // timeline may hold higher numbers.
  MPOWER_ASSIGN_OR_RETURN(
      const std::string last,
      SegmentName(
          connection,
          absl::StrCat("SELECT coalesce(max(substr(name, 9)), '') FROM ", kSegments).c_str()));
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(
        const std::string current,
        SegmentName(connection, "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 9)"));
    if (current > last) return absl::OkStatus();
    if (rounds == kMaxWalRounds) {
      return absl::ResourceExhaustedError(
          absl::StrCat("pg_wal still had files to overwrite after ", kMaxWalRounds, " rounds"));
    }
    MPOWER_RETURN_IF_ERROR(WalRound(connection));
    ++rounds;
  }
}

void ScrubWriteAheadLog(Connection& connection) {
  absl::StatusOr<std::unique_ptr<Result>> allowed = connection.Query(
      "SELECT pg_has_role('pg_checkpoint', 'USAGE') "
      "AND has_function_privilege('pg_catalog.pg_switch_wal()', 'EXECUTE') "
      "AND has_function_privilege('pg_catalog.pg_ls_waldir()', 'EXECUTE')",
      "checking the privileges to recycle the write-ahead log");
  if (!allowed.ok() || !(*allowed)->Bool(0, 0)) {
    Log(LogLevel::kWarning, "storage",
        "the write-ahead log (pg_wal) still holds the text a narrowing or purge sealed, until "
        "its segments are recycled: mpowerd's role may not cycle it (it needs pg_checkpoint "
        "and EXECUTE on pg_switch_wal() and pg_ls_waldir()); README, \"Narrowing an alert's "
        "scope\", says what to run");
    return;
  }
  if (absl::Status status = RecycleWriteAheadLog(connection); !status.ok()) {
    Log(LogLevel::kWarning, "storage",
        absl::StrCat("could not cycle the write-ahead log after a narrowing or purge (",
                     status.message(),
                     "); pg_wal may hold the text it sealed until its segments are recycled"));
  }
}

}  // namespace

// A fresh token for each write that owes a scrub: a scrub forgets only
// the one it read before it began, never one a later write set.
constexpr char kMarkDue[] =
    "INSERT INTO settings(key, value) VALUES ('scrub_due', gen_random_uuid()::text) "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
constexpr char kReadDue[] = "SELECT value FROM settings WHERE key = 'scrub_due'";

absl::Status MarkScrubDue(Connection& connection) {
  return connection.Execute(kMarkDue, "recording that a scrub is due");
}

absl::StatusOr<bool> ScrubIsDue(Connection& connection) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Result> due,
                          connection.Query(kReadDue, "reading whether a scrub is due"));
  return due->rows() > 0;
}

void ScrubRewrittenRows(Connection& connection) {
  absl::StatusOr<std::unique_ptr<Result>> due =
      connection.Query(kReadDue, "reading whether a scrub is due");
  if (VacuumRewritten(connection)) {
    ScrubWriteAheadLog(connection);
    if (due.ok() && (*due)->rows() > 0) {
      connection
          .Execute("DELETE FROM settings WHERE key = 'scrub_due' AND value = $1",
                   Params().Text((*due)->Bytes(0, 0)), "recording that a scrub is done")
          .IgnoreError();  // owed still: the next scrub vacuums once more
    }
  } else {
    Log(LogLevel::kWarning, "storage",
        "pg_wal is not cycled after an incomplete vacuum, since the old row versions would "
        "write their text to it again; once the tables' owner has run VACUUM FULL, cycle it "
        "as README, \"Narrowing an alert's scope\", says");
  }
}

}  // namespace mpower::postgres
