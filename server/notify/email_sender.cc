#include "server/notify/email_sender.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "server/notify/curl_handle.h"

namespace mpower {
namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t bytes = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, bytes);
  upload->offset += bytes;
  return bytes;
}

// Lines end CRLF on the wire.
std::string Crlf(absl::string_view text) {
  return absl::StrReplaceAll(absl::StrReplaceAll(text, {{"\r\n", "\n"}}), {{"\n", "\r\n"}});
}

}  // namespace

absl::Status CheckSmtpOptions(const SmtpOptions& options) {
  if (options.url.empty()) return absl::OkStatus();
  if (!absl::StartsWith(options.url, "smtp://") && !absl::StartsWith(options.url, "smtps://")) {
    return absl::InvalidArgumentError(
        "--smtp-url: expected smtp://host:port (STARTTLS) or smtps://host:port");
  }
  if (options.from.empty() || !absl::StrContains(options.from, '@') ||
      absl::StrContains(options.from, '\n') || absl::StrContains(options.from, '\r')) {
    return absl::InvalidArgumentError(
        "--smtp-from: give the sender's address, e.g. "
        "mpower@example.org");
  }
  return absl::OkStatus();
}

SendResult EmailSender::Send(const std::vector<std::string>& to, absl::string_view subject,
                             absl::string_view body, absl::string_view message_id) const {
  InitCurlOnce();
  SendResult result;
  if (!configured()) {
    result.error = "email is not configured: mpowerd needs --smtp-url and --smtp-from";
    return result;
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) {
    result.error = "could not start an SMTP client";
    return result;
  }
  std::unique_ptr<curl_slist, ListDeleter> recipients;
  for (const std::string& address : to) {
    recipients.reset(
        curl_slist_append(recipients.release(), absl::StrCat("<", address, ">").c_str()));
  }
  const std::string domain = options_.from.substr(options_.from.rfind('@') + 1);
  Upload upload;
  upload.data = Crlf(absl::StrCat(
      "From: ", options_.from, "\n", "To: ", absl::StrJoin(to, ", "), "\n", "Subject: ", subject,
      "\n",
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", absl::Now(), absl::UTCTimeZone()),
      "\n", "Message-ID: <", message_id, "@", domain, ">\n", "MIME-Version: 1.0\n",
      "Content-Type: text/plain; charset=utf-8\n", "Content-Transfer-Encoding: 8bit\n", "\n",
      body));
  const std::string from = absl::StrCat("<", options_.from, ">");
  curl_easy_setopt(curl.get(), CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_USE_SSL,
                   options_.allow_plaintext ? CURLUSESSL_TRY : CURLUSESSL_ALL);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  if (!options_.username.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, options_.password.c_str());
  }
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  const CURLcode code = curl_easy_perform(curl.get());
  long reply = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply);
  if (code == CURLE_OK) {
    result.delivered = true;
    return result;
  }
  result.error = absl::StrCat("the SMTP relay did not take the message: ", curl_easy_strerror(code),
                              reply != 0 ? absl::StrCat(" (reply ", reply, ")") : "");
  if (code == CURLE_USE_SSL_FAILED) {
    absl::StrAppend(&result.error,
                    "; the relay offers no STARTTLS, and mpowerd sends mail only encrypted unless "
                    "run with --smtp-allow-plaintext");
  }
  return result;
}

}  // namespace mpower
