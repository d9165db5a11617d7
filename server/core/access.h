#ifndef MPOWER_SERVER_CORE_ACCESS_H_
#define MPOWER_SERVER_CORE_ACCESS_H_

// Who is calling, and what they may do. These rules are the security model
// of ../shared/PRODUCT.md: the secretariat (admin) does everything; a
// partner edits only its own profile and commitments and files alerts and
// responses only in its own name; alerts are read according to their scope;
// protected alert details reach only the filer, the recipients it names and
// admins.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mpower/v1/alert.pb.h"

namespace mpower {

// The caller of an RPC, as authenticated.
struct Principal {
  enum class Role {
    kAnonymous,      // no credentials, and public read is off
    kPublicReader,   // no credentials, and the operator enabled public read
    kPartnerViewer,  // reads on behalf of `partner`
    kPartnerEditor,  // reads and writes on behalf of `partner`
    kAdmin,          // the partnership's secretariat
  };
  Role role = Role::kAnonymous;
  std::string id = "anonymous";  // who, for the audit trail
  std::string partner;           // "partners/{partner}" for partner roles
  std::string credential_id;     // the credential that authenticated it; "" if none
  // Never receives protected details, whatever the role: what mpowerd
  // reads on behalf of a subscription, to notify it.
  bool withhold_protected_details = false;

  static Principal Anonymous() { return Principal{}; }
  static Principal PublicReader() { return Principal{Role::kPublicReader, "public", ""}; }
  // mpowerd itself, e.g. when it loads the demo data.
  static Principal System() { return Principal{Role::kAdmin, "system", ""}; }
};

bool IsAdmin(const Principal& principal);

// OK for any reader (including the public reader); UNAUTHENTICATED for an
// anonymous caller.
absl::Status RequireReader(const Principal& principal);

// OK for a caller with credentials; UNAUTHENTICATED for anonymous callers
// and public readers: every write needs credentials.
absl::Status RequireCredentials(const Principal& principal);

// OK for admins and editors of `partner`; UNAUTHENTICATED for callers
// without credentials; PERMISSION_DENIED naming `what` otherwise.
absl::Status RequireEditorOf(const Principal& principal, absl::string_view partner,
                             absl::string_view what);

// OK for admins; UNAUTHENTICATED or PERMISSION_DENIED otherwise.
absl::Status RequireAdmin(const Principal& principal, absl::string_view what);

// Whether `reader` may see `alert` at all: by its scope (public: any
// reader; partners: any partner role; restricted: the filer and the named
// recipients), and always for admins.
bool CanReadAlert(const Principal& reader, const v1::Alert& alert);

// True if `reader` may receive `alert`'s protected details: the filing
// partner, a recipient partner the filer named, or an admin. Nobody else,
// whatever the alert's scope.
bool MaySeeProtectedDetails(const Principal& reader, const v1::Alert& alert);

// Removes protected details the reader may not see. The alert keeps only
// protected_details_present, which says whether any exist. Of sealed
// details a partner's reader keeps only the wraps for its partner's keys
// (none: no envelope), an admin every wrap (the recovery keys' among them).
void RedactForReader(const Principal& reader, v1::Alert& alert);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_ACCESS_H_
