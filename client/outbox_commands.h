#ifndef MPOWER_CLIENT_OUTBOX_COMMANDS_H_
#define MPOWER_CLIENT_OUTBOX_COMMANDS_H_

// Queueing writes in the outbox (outbox.h), and `mpower outbox
// list|show|drop|push`.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/args.h"
#include "client/outbox.h"
#include "client/rpc.h"
#include "grpcpp/support/status.h"

namespace mpower::cli {

// When a write goes to the outbox instead of the server.
enum class QueueMode {
  kNever,
  kAlways,  // --queue, or MPOWER_QUEUE=always
  // MPOWER_QUEUE=auto: sent now, and queued when the server cannot be
  // reached or gave no answer in time (UNAVAILABLE, DEADLINE_EXCEEDED).
  kWhenUnreachable,
};

absl::StatusOr<QueueMode> ResolveQueueMode(const Args& args);

// Whether a write that ended with `status` goes to the outbox in `mode`.
bool QueueAfter(QueueMode mode, const grpc::Status& status);

// How many writes wait in the outbox: in MPOWER_QUEUE=auto, a write goes
// behind them rather than ahead of them.
absl::StatusOr<int> WaitingInOutbox(const Args& args);

// Whether a write waiting in the outbox writes `name` (or creates under
// it): a later update of it must not be pinned to the etag it has now.
absl::StatusOr<bool> OutboxWritesTo(const Args& args, const std::string& name);

// Saves `item` in the outbox and says so on stdout: queued, never created.
absl::Status QueueWrite(const Args& args, OutboxItem item);

// Queues `mpower alerts share|reseal NAME ...` (the command `args` holds)
// to be run by the push: they read the alert, and seal again, as they go,
// so what is queued is the command, not a request.
absl::Status QueueCommand(const Args& args);

// Whether `words` (alerts share, say) is a command QueueCommand takes.
bool IsQueueableCommand(const std::vector<std::string>& words);

// mpower outbox list|show ID|drop ID|push.
absl::Status RunOutbox(RpcClient& rpc, const Args& args, const std::string& output,
                       absl::Duration timeout);
std::string OutboxHelp();

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_OUTBOX_COMMANDS_H_
