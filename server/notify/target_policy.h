#ifndef MPOWER_SERVER_NOTIFY_TARGET_POLICY_H_
#define MPOWER_SERVER_NOTIFY_TARGET_POLICY_H_

// Where mpowerd may send a webhook. A webhook URL is chosen by a partner,
// but the request is made from mpowerd's own network position: without
// these rules a subscription could make mpowerd probe the operator's
// private network, its cloud metadata service or mpowerd itself
// (server-side request forgery).

#include <sys/socket.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

struct TargetPolicy {
  // Allow targets at private, loopback and link-local addresses (a
  // receiver on the operator's own network; tests).
  bool allow_private_targets = false;
  // Allow plain http, to a loopback host only (a receiver on the same
  // machine; tests).
  bool allow_http_loopback = false;
};

// Whether `url` (already syntactically checked by the subscription rules)
// may be used under `policy`, judged from the URL alone: its scheme, and a
// host given as an IP literal or `localhost`. INVALID_ARGUMENT naming
// `field` and saying what to do. Names that resolve to a forbidden address
// are caught when connecting (IsForbiddenAddress), since what a name
// resolves to can change after this check.
absl::Status CheckWebhookTarget(absl::string_view url, const TargetPolicy& policy,
                                absl::string_view field);

// Why mpowerd must not connect to `address` under `policy` ("a loopback
// address", "a private address", ...), or "" if it may.
std::string ForbiddenAddressReason(const struct sockaddr* address, const TargetPolicy& policy);

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_TARGET_POLICY_H_
