#ifndef MPOWER_SERVER_BASE_STATUS_MACROS_H_
#define MPOWER_SERVER_BASE_STATUS_MACROS_H_

// Early-return helpers for absl::Status, which abseil 20220623 does not ship.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` is not OK.
#define MPOWER_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (absl::Status mpower_status_ = (expr); !mpower_status_.ok()) { \
      return mpower_status_;                                          \
    }                                                                 \
  } while (0)

#define MPOWER_CONCAT_INNER_(a, b) a##b
#define MPOWER_CONCAT_(a, b) MPOWER_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs`, which may be a declaration.
#define MPOWER_ASSIGN_OR_RETURN(lhs, rexpr) \
  MPOWER_ASSIGN_OR_RETURN_IMPL_(MPOWER_CONCAT_(mpower_statusor_, __LINE__), lhs, rexpr)

#define MPOWER_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = *std::move(statusor)

#endif  // MPOWER_SERVER_BASE_STATUS_MACROS_H_
