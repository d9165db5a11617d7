#include "server/notify/webhook_sender.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/notify/curl_handle.h"
#include "server/storage/crypto.h"

namespace mpower {
namespace {

// Of the receiver's answer, mpowerd reads this much and no more.
constexpr size_t kMaxAnswerBytes = 64 * 1024;
// And shows the caller of TestSubscription this much of it.
constexpr size_t kExcerptBytes = 1000;

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// This thread's handle, reset for each request but keeping its open
// connections, so successive deliveries to one receiver reuse one.
CURL* ThreadHandle() {
  thread_local std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  curl_easy_reset(handle.get());
  return handle.get();
}

}  // namespace

std::string WebhookSignature(absl::string_view key, absl::string_view id, int64_t unix_seconds,
                             absl::string_view body) {
  return absl::StrCat(
      "v1,", absl::Base64Escape(HmacSha256(key, absl::StrCat(id, ".", unix_seconds, ".", body))));
}

SendResult WebhookSender::Send(absl::string_view url, absl::string_view key, absl::string_view id,
                               absl::string_view body) const {
  InitCurlOnce();
  SendResult result;
  if (absl::Status allowed = CheckWebhookTarget(url, options_.policy, "webhook.url");
      !allowed.ok()) {
    result.error = std::string(allowed.message());
    return result;
  }
  CURL* curl = ThreadHandle();
  if (curl == nullptr) {
    result.error = "could not start an HTTP client";
    return result;
  }
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::unique_ptr<curl_slist, HeaderListDeleter> headers;
  for (const std::string& header :
       {std::string("Content-Type: application/json"), absl::StrCat("webhook-id: ", id),
        absl::StrCat("webhook-timestamp: ", now),
        absl::StrCat("webhook-signature: ", WebhookSignature(key, id, now, body)),
        std::string("User-Agent: mpowerd-webhooks/1"), std::string("Expect:")}) {
    headers.reset(curl_slist_append(headers.release(), header.c_str()));
  }
  const std::string target(url);
  std::string refusal;
  std::string answer;
  curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                   options_.policy.allow_http_loopback ? "http,https" : "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  RefuseForbiddenAddresses(curl, &options_.policy, &refusal);
  BoundAnswer(curl, &answer, kMaxAnswerBytes);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  result.http_status = static_cast<int>(status);
  result.response_excerpt = answer.substr(0, kExcerptBytes);
  // A receiver that answered 2xx has the delivery, even if it then sent
  // more than mpowerd reads.
  if (status >= 200 && status < 300 && (code == CURLE_OK || code == CURLE_WRITE_ERROR)) {
    result.delivered = true;
    return result;
  }
  if (!refusal.empty()) {
    result.error =
        absl::StrCat("refused to connect: the host resolves to ", refusal,
                     "; mpowerd sends webhooks only to public addresses unless it runs with "
                     "--notify-allow-private-targets");
  } else if (code != CURLE_OK && status == 0) {
    result.error = absl::StrCat("could not deliver: ", curl_easy_strerror(code));
  } else if (status >= 300 && status < 400) {
    result.error = absl::StrCat("the receiver answered ", status,
                                ", a redirect; mpowerd does not follow redirects: give the URL "
                                "that receives the POST itself");
  } else {
    result.error = absl::StrCat("the receiver answered ", status, "; expected 2xx");
  }
  return result;
}

}  // namespace mpower
