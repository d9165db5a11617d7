#ifndef MPOWER_SERVER_STORAGE_POSTGRES_LIBPQ_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_LIBPQ_H_

// libpq, loaded only when the PostgreSQL backend is first used. Linking it
// would cost every mpowerd, SQLite ones included, about 4 MB of memory:
// Debian's libpq brings libldap, GnuTLS and p11-kit, which initialise when
// the process starts. So mpowerd takes libpq's types from its header and
// its functions through these pointers, resolved by Load().

#include <libpq-fe.h>

#include "absl/status/status.h"

namespace mpower::postgres::libpq {

// Loads libpq.so.5 and resolves every function below, once; later calls
// return the first result. FAILED_PRECONDITION, saying which package to
// install, if it cannot. Thread-safe.
absl::Status Load();

// The functions mpower uses, named as in libpq-fe.h. REQUIRES: Load()
// succeeded.
// clang-format off
#define MPOWER_LIBPQ_FUNCTIONS(X) \
  X(PQbackendPID) \
  X(PQclear) \
  X(PQconnectdb) \
  X(PQconsumeInput) \
  X(PQenterPipelineMode) \
  X(PQerrorMessage) \
  X(PQexec) \
  X(PQexecParams) \
  X(PQexecPrepared) \
  X(PQexitPipelineMode) \
  X(PQfinish) \
  X(PQfreemem) \
  X(PQgetResult) \
  X(PQgetisnull) \
  X(PQgetlength) \
  X(PQgetvalue) \
  X(PQnotifies) \
  X(PQntuples) \
  X(PQpipelineSync) \
  X(PQprepare) \
  X(PQresultErrorField) \
  X(PQresultErrorMessage) \
  X(PQresultStatus) \
  X(PQsendPrepare) \
  X(PQsendQueryParams) \
  X(PQsendQueryPrepared) \
  X(PQsocket) \
  X(PQstatus) \
  X(PQtransactionStatus)
// clang-format on

#define MPOWER_LIBPQ_DECLARE(name) extern decltype(&::name) name;
MPOWER_LIBPQ_FUNCTIONS(MPOWER_LIBPQ_DECLARE)
#undef MPOWER_LIBPQ_DECLARE

}  // namespace mpower::postgres::libpq

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_LIBPQ_H_
