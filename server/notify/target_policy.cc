#include "server/notify/target_policy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mpower {
namespace {

// What kind of address `v4` (host byte order) is; "" for a public one.
const char* ClassifyV4(uint32_t v4) {
  const auto in = [v4](uint32_t network, int bits) {
    return bits == 0 || (v4 >> (32 - bits)) == (network >> (32 - bits));
  };
  if (in(0x7f000000, 8)) return "a loopback address";
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return "a private address";
  if (in(0x64400000, 10)) return "a shared (carrier-grade NAT) address";
  if (in(0xa9fe0000, 16)) return "a link-local address (such as a cloud metadata service)";
  if (in(0x00000000, 8)) return "an unspecified address";
  if (in(0xe0000000, 4) || in(0xf0000000, 4)) return "a multicast or reserved address";
  return "";
}

const char* ClassifyV6(const in6_addr& v6) {
  const uint8_t* b = v6.s6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&v6) || IN6_IS_ADDR_V4COMPAT(&v6)) {
    return ClassifyV4((uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) |
                      b[15]);
  }
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return "a loopback address";
  if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return "an unspecified address";
  if (IN6_IS_ADDR_LINKLOCAL(&v6)) return "a link-local address";
  if ((b[0] & 0xfe) == 0xfc) return "a private address";
  if (IN6_IS_ADDR_MULTICAST(&v6)) return "a multicast address";
  return "";
}

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

}  // namespace

std::string ForbiddenAddressReason(const struct sockaddr* address, const TargetPolicy& policy) {
  if (policy.allow_private_targets) return "";
  if (address->sa_family == AF_INET) {
    return ClassifyV4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    return ClassifyV6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  }
  return "not an internet address";
}

absl::Status CheckWebhookTarget(absl::string_view url, const TargetPolicy& policy,
                                absl::string_view field) {
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  const std::string text(url);
  if (parsed == nullptr || curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(),
                                        CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a URL; give https://host/path"));
  }
  char* scheme_part = nullptr;
  char* host_part = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme_part, 0);
  curl_url_get(parsed.get(), CURLUPART_HOST, &host_part, 0);
  const std::string scheme = scheme_part != nullptr ? absl::AsciiStrToLower(scheme_part) : "";
  std::string host = host_part != nullptr ? absl::AsciiStrToLower(host_part) : "";
  curl_free(scheme_part);
  curl_free(host_part);
  host = std::string(absl::StripSuffix(absl::StripPrefix(host, "["), "]"));

  // The address the host names literally, if it is one.
  sockaddr_storage literal{};
  bool is_literal = false;
  if (inet_pton(AF_INET, host.c_str(), &reinterpret_cast<sockaddr_in*>(&literal)->sin_addr) == 1) {
    literal.ss_family = AF_INET;
    is_literal = true;
  } else if (inet_pton(AF_INET6, host.c_str(),
                       &reinterpret_cast<sockaddr_in6*>(&literal)->sin6_addr) == 1) {
    literal.ss_family = AF_INET6;
    is_literal = true;
  }
  const bool loopback_name = host == "localhost" || absl::EndsWith(host, ".localhost");
  std::string loopback_literal;
  if (is_literal) {
    loopback_literal =
        ForbiddenAddressReason(reinterpret_cast<const sockaddr*>(&literal), TargetPolicy{});
  }
  const bool loopback = loopback_name || loopback_literal == "a loopback address";

  if (scheme == "http") {
    if (!policy.allow_http_loopback || !loopback) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": must use https; plain http is allowed only to a loopback host, and only when "
          "mpowerd runs with --notify-allow-http-loopback"));
    }
  } else if (scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must use https"));
  }
  if (policy.allow_private_targets) return absl::OkStatus();
  if (loopback_name) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", host,
                     " is a loopback name; mpowerd sends webhooks only to public "
                     "addresses unless it runs with --notify-allow-private-targets"));
  }
  if (is_literal) {
    const std::string reason =
        ForbiddenAddressReason(reinterpret_cast<const sockaddr*>(&literal), policy);
    if (!reason.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", host, " is ", reason,
                       "; mpowerd sends webhooks only to public addresses "
                       "unless it runs with --notify-allow-private-targets"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mpower
