#ifndef MPOWER_SERVER_NOTIFY_EMAIL_SENDER_H_
#define MPOWER_SERVER_NOTIFY_EMAIL_SENDER_H_

// Sends plain-text email through the SMTP relay the operator configures,
// with libcurl's SMTP client.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/notify/send_result.h"

namespace mpower {

struct SmtpOptions {
  // smtp://host:port (STARTTLS) or smtps://host:port (TLS from the start);
  // "" when email is not configured.
  std::string url;
  // The envelope and header sender, e.g. mpower@example.org.
  std::string from;
  // Credentials for the relay; "" for none.
  std::string username;
  std::string password;
  // Send over plaintext if the relay offers no STARTTLS. Unsafe: off unless
  // the operator says so.
  bool allow_plaintext = false;
  // A PEM bundle of the CAs to trust instead of the system's; "" for the
  // system's.
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
};

// INVALID_ARGUMENT, naming the flag, if `options` cannot work.
absl::Status CheckSmtpOptions(const SmtpOptions& options);

// Thread-safe.
class EmailSender {
 public:
  explicit EmailSender(SmtpOptions options) : options_(std::move(options)) {}

  bool configured() const { return !options_.url.empty(); }

  // Sends one message with `subject` and the plain-text `body` to each of
  // `to`. `message_id` is the Message-ID's left part, the same on retries.
  SendResult Send(const std::vector<std::string>& to, absl::string_view subject,
                  absl::string_view body, absl::string_view message_id) const;

 private:
  const SmtpOptions options_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_EMAIL_SENDER_H_
