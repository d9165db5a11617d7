#ifndef MPOWER_SERVER_CORE_PAGE_H_
#define MPOWER_SERVER_CORE_PAGE_H_

// What every List takes and returns (AIP-158), apart from the resource.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mpower {

// A page of a List call.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

// The parameters common to every List call.
struct ListParams {
  std::string parent;  // "" for top-level collections; may be a wildcard
  int32_t page_size = 0;
  std::string page_token;
  std::string filter;
  bool show_deleted = false;
};

inline constexpr int32_t kDefaultPageSize = 50;
inline constexpr int32_t kMaxPageSize = 1000;

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_PAGE_H_
