#ifndef MPOWER_SERVER_CORE_ACCESS_H_
#define MPOWER_SERVER_CORE_ACCESS_H_

// Who is calling, and what of an alert they may see. Every read path (Get,
// List, Create/Update/Delete responses) passes alerts through
// RedactForReader before they leave the server.

#include <string>

#include "mpower/v1/alert.pb.h"

namespace mpower {

// The caller of an RPC. Credentials and roles beyond this foundation come
// with the security work (issue 3); until then every caller is anonymous.
struct Principal {
  enum class Role {
    kAnonymous,      // no credentials
    kPublicReader,   // public read, when the operator enables it
    kPartnerViewer,  // reads on behalf of `partner`
    kPartnerEditor,  // reads and writes on behalf of `partner`
    kAdmin,          // the partnership's secretariat
  };
  Role role = Role::kAnonymous;
  std::string partner;  // "partners/{partner}" for partner roles; "" otherwise

  static Principal Anonymous() { return Principal{}; }
};

// True if `reader` may receive `alert`'s protected details: the filing
// partner, a recipient partner the filer named, or an admin. Nobody else,
// whatever the alert's scope.
bool MaySeeProtectedDetails(const Principal& reader, const v1::Alert& alert);

// Removes protected details the reader may not see. The alert keeps only
// protected_details_present, which says whether any exist.
void RedactForReader(const Principal& reader, v1::Alert& alert);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_ACCESS_H_
