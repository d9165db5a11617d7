#include "server/core/names.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mpower {
namespace {

bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status BadName(absl::string_view field, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": not a valid name; expected ", expected,
                   " where each id is 1 to 63 lowercase letters, digits and "
                   "hyphens, starting with a letter"));
}

}  // namespace

std::string NamePattern::Describe() const {
  std::string out;
  if (!parent_collection.empty()) {
    // "partners" -> "{partner}": drop the plural's trailing 's'.
    absl::string_view parent_singular = parent_collection.substr(0, parent_collection.size() - 1);
    absl::StrAppend(&out, parent_collection, "/{", parent_singular, "}/");
  }
  absl::StrAppend(&out, collection, "/{", singular, "}");
  return out;
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (!IsLowerAlpha(id.front()) || id.back() == '-') return false;
  for (char c : id) {
    if (!IsLowerAlpha(c) && !IsDigit(c) && c != '-') return false;
  }
  return true;
}

std::string GenerateResourceId() {
  // 24 characters: "a", the milliseconds since 1970 in 8 base-36 digits
  // (enough until 2059), then 15 random ones: 77 bits, against the 80 of
  // the fully random ids these replaced. Ids made later sort later, so the
  // new rows of a group commit share the last pages of every index on
  // names instead of landing on a random page each: far fewer pages to
  // write to the log and fsync. The creation time it shows is no
  // secret: every resource carries its create_time.
  // The random digits come from OpenSSL's CSPRNG: clients make these ids
  // too (an alert whose details they seal to its name), and only their
  // being unguessable keeps a taken id from telling of an alert.
  static constexpr absl::string_view kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id(24, 'a');
  uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  for (int i = 8; i >= 1; --i) {
    id[i] = kDigits[millis % kDigits.size()];
    millis /= kDigits.size();
  }
  unsigned char random[32];
  size_t used = sizeof random;
  for (size_t i = 9; i < id.size();) {
    if (used == sizeof random) {
      // Fails only without an entropy source, where no id is safe to make.
      if (RAND_bytes(random, sizeof random) != 1) std::abort();
      used = 0;
    }
    // 252 = 7 x 36: taking only bytes below it keeps every digit as likely.
    const unsigned char byte = random[used++];
    if (byte < 252) id[i++] = kDigits[byte % kDigits.size()];
  }
  return id;
}

bool IsGeneratedResourceId(absl::string_view id) {
  if (id.size() != 24 || id.front() != 'a') return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return IsLowerAlpha(c) || IsDigit(c); });
}

absl::StatusOr<ParsedName> ParseName(absl::string_view name, const NamePattern& pattern,
                                     absl::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required; give a name of the form ", pattern.Describe()));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  const bool nested = !pattern.parent_collection.empty();
  const size_t expected_parts = nested ? 4 : 2;
  if (parts.size() != expected_parts) return BadName(field, pattern.Describe());
  ParsedName parsed;
  if (nested) {
    if (parts[0] != pattern.parent_collection || !IsValidResourceId(parts[1])) {
      return BadName(field, pattern.Describe());
    }
    parsed.parent = absl::StrCat(parts[0], "/", parts[1]);
  }
  if (parts[expected_parts - 2] != pattern.collection ||
      !IsValidResourceId(parts[expected_parts - 1])) {
    return BadName(field, pattern.Describe());
  }
  parsed.id = std::string(parts[expected_parts - 1]);
  return parsed;
}

absl::StatusOr<std::string> ParseParent(absl::string_view parent, const NamePattern& pattern,
                                        bool allow_wildcard, absl::string_view field) {
  absl::string_view parent_singular =
      pattern.parent_collection.substr(0, pattern.parent_collection.size() - 1);
  std::string expected = absl::StrCat(pattern.parent_collection, "/{", parent_singular, "}");
  if (allow_wildcard) absl::StrAppend(&expected, " or ", pattern.parent_collection, "/-");
  if (parent.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required; give ", expected));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(parent, '/');
  if (parts.size() != 2 || parts[0] != pattern.parent_collection ||
      !(IsValidResourceId(parts[1]) || (allow_wildcard && parts[1] == kWildcardId))) {
    return BadName(field, expected);
  }
  return std::string(parent);
}

std::string MakeName(absl::string_view parent, const NamePattern& pattern, absl::string_view id) {
  if (parent.empty()) return absl::StrCat(pattern.collection, "/", id);
  return absl::StrCat(parent, "/", pattern.collection, "/", id);
}

}  // namespace mpower
