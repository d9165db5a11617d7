#ifndef MPOWER_SERVER_CORE_SEALED_DETAILS_H_
#define MPOWER_SERVER_CORE_SEALED_DETAILS_H_

// The server's half of end-to-end sealing (docs/sealed-envelope.md): what
// mpowerd checks of an envelope it cannot open. It holds no private key
// and never sees the details; it makes sure that what it stores is signed
// by the filer and sealed to exactly the partners entitled to it now.

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpower/v1/alert.pb.h"
#include "server/storage/store.h"

namespace mpower {

// Whether `alert` carries its protected details sealed.
inline bool HasSealedDetails(const v1::Alert& alert) {
  return alert.has_protected_details() && alert.protected_details().has_sealed();
}

// Whether a version of the alert stored before held details sealed under
// the data key of this `data_key_id`.
using DataKeyUsedBefore = std::function<absl::StatusOr<bool>(absl::string_view data_key_id)>;

// Checks the change of `current` into `updated` when either carries sealed
// details, inside the write's transaction:
//  - details sealed once are never replaced by details in the clear
//    (FAILED_PRECONDITION);
//  - an envelope equal to the stored one but for its wraps (as a reader
//    received it) is the stored one: `updated` gets its wraps back;
//  - a new one must have every wrap, a data key no earlier version used
//    (FAILED_PRECONDITION), a signature by an ACTIVE key of the filing
//    partner or of the secretariat (a recovery key), and be sealed to
//    exactly the ACTIVE keys of the filing partner, every recipient
//    partner and every TYPE_SECRETARIAT partner: FAILED_PRECONDITION lists
//    the keys missing, and names a filing or recipient partner without
//    any; INVALID_ARGUMENT names a key that does not belong.
// Keys are listed from `store`: a key published while this commits is one
// the filer could not have sealed to.
absl::Status CheckSealedDetails(Store& store, WriteTransaction& txn, const v1::Alert& current,
                                v1::Alert& updated, const DataKeyUsedBefore& used_before);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_SEALED_DETAILS_H_
