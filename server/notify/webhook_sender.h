#ifndef MPOWER_SERVER_NOTIFY_WEBHOOK_SENDER_H_
#define MPOWER_SERVER_NOTIFY_WEBHOOK_SENDER_H_

// Sends webhooks the Standard Webhooks way (standardwebhooks.com): one
// HTTPS POST of a JSON body with `webhook-id`, `webhook-timestamp` and
// `webhook-signature` headers, the signature an HMAC-SHA256 of
// "{id}.{timestamp}.{body}" under the subscription's secret, so receivers
// verify it with that project's libraries. libcurl does the HTTP and TLS.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/notify/send_result.h"
#include "server/notify/target_policy.h"

namespace mpower {

struct WebhookOptions {
  TargetPolicy policy;
  // A PEM bundle of the CAs to trust instead of the system's (receivers
  // with a private PKI; tests); "" for the system's.
  std::string ca_file;
  // The whole exchange, connecting included.
  absl::Duration timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(5);
};

// The `webhook-signature` header's value: "v1," and the base64 of the
// HMAC-SHA256 of "{id}.{unix_seconds}.{body}" under `key`.
std::string WebhookSignature(absl::string_view key, absl::string_view id, int64_t unix_seconds,
                             absl::string_view body);

// Thread-safe; each thread keeps its own connections.
class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options) : options_(std::move(options)) {}

  // POSTs `body` to `url`, signed with `key` (SigningKey of the secret) as
  // message `id`. Never follows a redirect; refuses to connect to an
  // address the policy forbids, whatever name led there; reads at most a
  // little of the answer.
  SendResult Send(absl::string_view url, absl::string_view key, absl::string_view id,
                  absl::string_view body) const;

 private:
  const WebhookOptions options_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_WEBHOOK_SENDER_H_
