#ifndef MPOWER_CLIENT_OUTBOX_H_
#define MPOWER_CLIENT_OUTBOX_H_

// The CLI's outbox: writes queued on this machine to send later (`--queue`,
// `MPOWER_QUEUE=auto`), each with everything fixed when it was queued: its
// request_id, the name a create gives its resource, the etag an update
// saw. `mpower outbox push` sends them in the order they were queued.
//
// Nothing in the outbox is readable without the key directory. Each item
// is one file, DIR/{id}.item, encrypted (libsodium's secretstream, the
// item's id bound as associated data) under a key of its own, kept apart
// in the key directory (KEYDIR/outbox/{outbox}/{id}.key, owner-only, where
// {outbox} is a random id the outbox keeps in DIR/id, so that two outboxes
// never touch each other's keys). An outbox copied off the machine opens
// with nothing in it; once an item is sent or dropped, its key is
// overwritten and removed, so no later copy of the key directory opens an
// earlier copy of the item either. The key directory is what must be kept
// safe, as it holds the partner's private keys too; with a passphrase
// (UsePassphrase), the item keys in it are locked under that as well.
//
// What was sent is kept as receipts (DIR/receipts, one line each: when,
// the item, the method, the name written and its etag): names and times,
// never a resource's text.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mpower::cli {

// One queued write.
struct OutboxItem {
  // Its place in the queue, 8 digits ("00000003"): never reused in one
  // outbox, so a receipt names one item.
  std::string id;
  std::string method;  // "/mpower.v1.AlertService/CreateAlert"
  std::string plural;  // the resource's word in the CLI: "alerts"
  std::string verb;    // "create", "update", "delete", ...
  // The resource it writes (a create's name is fixed when it is queued),
  // and the one it needs to exist first (a create's parent; an update's
  // own name), if that is not the same.
  std::string name;
  std::string needs;
  std::string request;  // the serialized request, as it will be sent
  absl::Time queued;
  // Whether the details' sealing was decided (sealed, or to go in the
  // clear) and saved before the item was first sent: a repeat sends the
  // same bytes, and says what the server got.
  bool sealing_settled = false;
  // "queued"; "sending" while a write that has no request_id is on its way
  // (found so by a later push, it is "unknown": it may have been applied);
  // "rejected" with the server's code and message; "held" behind another.
  std::string state = "queued";
  int code = 0;
  std::string message;
};

// A write delivered, as the receipts keep it.
struct OutboxReceipt {
  absl::Time sent;
  std::string id;
  std::string method;
  std::string name;
  std::string etag;
};

// An exclusive hold on an outbox, released when it goes: one mpower at a
// time changes the queue.
class OutboxLock {
 public:
  explicit OutboxLock(int fd) : fd_(fd) {}
  OutboxLock(OutboxLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OutboxLock& operator=(OutboxLock&&) = delete;
  ~OutboxLock();

 private:
  int fd_;
};

class Outbox {
 public:
  // The outbox in `directory` (made owner-only if missing), its items'
  // keys under `key_directory`.
  static absl::StatusOr<Outbox> Open(const std::string& directory,
                                     const std::string& key_directory);

  const std::string& directory() const { return directory_; }

  // From now on, item keys are written locked under `passphrase`
  // (Argon2id, then crypto_secretbox), and locked ones can be read: a
  // machine taken with its key directory gives up nothing without it.
  // A passphrase other than the one the outbox is under is refused.
  absl::Status UsePassphrase(const std::string& passphrase);
  // Whether a passphrase was ever given to this outbox: then every item
  // added must be locked under it.
  bool UnderPassphrase() const;

  // Saves `item` as the last in the queue, giving it its id. Durable when
  // it returns: its key first, then the item.
  absl::StatusOr<std::string> Add(OutboxItem item);

  // Holds the outbox; with `wait`, until another mpower lets go, else an
  // error saying one is using it.
  absl::StatusOr<OutboxLock> Lock(bool wait) const;

  // The ids of every item, in queue order.
  absl::StatusOr<std::vector<std::string>> Ids() const;

  // Every item, in queue order. An item whose key is gone (or that does
  // not open under it) is an error naming it: `outbox drop` removes it.
  absl::StatusOr<std::vector<OutboxItem>> Items() const;
  absl::StatusOr<OutboxItem> Item(const std::string& id) const;

  // Replaces the saved state of `item` (rejected, say), under its key.
  absl::Status Save(const OutboxItem& item);

  // Removes the item, and its key for good.
  absl::Status Remove(const std::string& id);

  // Completes what a process cut short left: removes each item that has a
  // receipt (it was delivered) and each key whose item is gone.
  absl::Status FinishInterrupted();

  // Records `receipt`, synced, before the item is removed: a push killed
  // in between sends the item again, and its request_id keeps the server
  // from applying it twice.
  absl::Status AddReceipt(const OutboxReceipt& receipt);
  absl::StatusOr<std::vector<OutboxReceipt>> Receipts() const;

 private:
  Outbox(std::string directory, std::string key_directory)
      : directory_(std::move(directory)), key_directory_(std::move(key_directory)) {}

  std::string ItemPath(const std::string& id) const;
  std::string KeyPath(const std::string& id) const;
  absl::Status Write(const OutboxItem& item, const std::string& key, bool replace);
  absl::StatusOr<std::string> ReadKey(const std::string& id) const;

  std::string directory_;
  std::string key_directory_;  // KEYDIR/outbox/{outbox}
  // Derived from the passphrase, if one was given; wiped with the outbox.
  std::shared_ptr<std::string> passphrase_key_;
};

// The outbox directory: --outbox, MPOWER_OUTBOX, $XDG_DATA_HOME/mpower/
// outbox, or ~/.local/share/mpower/outbox.
absl::StatusOr<std::string> OutboxDirectory(const std::string& flag);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_OUTBOX_H_
