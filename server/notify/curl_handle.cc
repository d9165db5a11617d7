#include "server/notify/curl_handle.h"

#include <sys/socket.h>

#include <mutex>

namespace mpower {
namespace {

struct Refusal {
  const TargetPolicy* policy;
  std::string* reason;
};

curl_socket_t OpenCheckedSocket(void* data, curlsocktype, struct curl_sockaddr* address) {
  const auto* refusal = static_cast<const Refusal*>(data);
  const std::string reason = ForbiddenAddressReason(&address->addr, *refusal->policy);
  if (!reason.empty()) {
    *refusal->reason = reason;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

struct Bound {
  std::string* into;
  size_t limit;
};

size_t CollectBounded(char* data, size_t size, size_t count, void* user) {
  auto* bound = static_cast<Bound*>(user);
  const size_t bytes = size * count;
  if (bound->into->size() + bytes > bound->limit) return 0;  // ends the transfer
  bound->into->append(data, bytes);
  return bytes;
}

}  // namespace

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void RefuseForbiddenAddresses(CURL* handle, const TargetPolicy* policy, std::string* refusal) {
  // One per thread: a transfer runs on the thread that set it up.
  thread_local Refusal state;
  state = Refusal{policy, refusal};
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, OpenCheckedSocket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &state);
}

void BoundAnswer(CURL* handle, std::string* into, size_t limit) {
  thread_local Bound bound;
  bound = Bound{into, limit};
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, CollectBounded);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &bound);
}

}  // namespace mpower
