#ifndef MPOWER_SERVER_NOTIFY_SEND_RESULT_H_
#define MPOWER_SERVER_NOTIFY_SEND_RESULT_H_

#include <string>

namespace mpower {

// What one attempt to deliver got.
struct SendResult {
  bool delivered = false;  // a 2xx answer; for email, the relay took it
  int http_status = 0;     // 0 if no HTTP answer came
  // Why not delivered: a refused target, a timeout, a TLS failure, an
  // answer outside 2xx. Safe to log and to show the subscription's owner:
  // it never holds the receiver's answer.
  std::string error;
  // The start of the receiver's answer, for `mpower subscriptions test`
  // only: never logged, never stored.
  std::string response_excerpt;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_NOTIFY_SEND_RESULT_H_
