#ifndef MPOWER_SERVER_CORE_RESOURCE_CODEC_H_
#define MPOWER_SERVER_CORE_RESOURCE_CODEC_H_

// How a resource of type T becomes a stored record and back: the public
// part serialized, the protected part taken apart for sealing, output-only
// fields derived, the etag made from the revision. The standard methods,
// sync and escalation all write through it, so every write stores a
// resource the same way.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/base/status_macros.h"
#include "server/storage/store.h"

namespace mpower {

template <typename T>
struct ResourceTraits;

// The part of a resource sealed at rest, as storage keeps it: a zero byte
// (which no serialized message starts with, so older formats stay
// recognisable), then a message of the resource's own type holding only the
// sealed fields. "" if there is nothing to seal.
std::string SealedPart(const google::protobuf::Message& sealed);
// Parses SealedPart's output into `sealed`; false if `data` is not one.
bool OpenSealedPart(absl::string_view data, google::protobuf::Message& sealed);

// The etag of a resource last changed at `revision`.
std::string EtagOf(int64_t revision);

// The current time as a protobuf Timestamp.
google::protobuf::Timestamp TimestampNow();

// Stateless; thread-safe.
template <typename T>
struct ResourceCodec {
  using Traits = ResourceTraits<T>;

  // The resource a stored record holds, protected part and etag included.
  // DATA_LOSS if the record does not parse.
  static absl::StatusOr<T> Decode(const StoredResource& stored) {
    T resource;
    if (!resource.ParseFromString(stored.data)) {
      return absl::DataLossError(absl::StrCat("stored ", stored.name, " is unreadable"));
    }
    MPOWER_RETURN_IF_ERROR(CompleteDecoding(stored, resource));
    return resource;
  }

  // Adds to `resource`, parsed from `stored.data`, what the stored record
  // keeps beside it: the protected details and the etag.
  static absl::Status CompleteDecoding(const StoredResource& stored, T& resource) {
    if (stored.erased) {
      Traits::MarkErased(resource);
    } else {
      MPOWER_RETURN_IF_ERROR(Traits::RestoreProtected(resource, stored.protected_data));
    }
    resource.set_etag(EtagOf(stored.update_revision));
    return absl::OkStatus();
  }

  // The record of `resource` under `parent` ("" for top level), created at
  // `create_revision` and written at `revision`. Derives output-only
  // fields first.
  static absl::StatusOr<StoredResource> Encode(T resource, absl::string_view parent,
                                               int64_t create_revision, int64_t revision) {
    MPOWER_RETURN_IF_ERROR(Traits::Derive(resource));
    StoredResource stored;
    stored.name = resource.name();
    stored.collection = std::string(Traits::kName.collection);
    stored.parent = std::string(parent);
    stored.external_id = Traits::ExternalId(resource);
    stored.references = Traits::References(resource);
    stored.create_revision = create_revision;
    stored.update_revision = revision;
    if constexpr (Traits::kSoftDelete) stored.deleted = resource.has_delete_time();
    if constexpr (Traits::kErasable) stored.erasable = Traits::HasErasableData(resource);
    stored.protected_data = Traits::TakeProtected(resource);
    resource.clear_etag();
    if (!resource.SerializeToString(&stored.data)) {
      return absl::InternalError(absl::StrCat("could not serialize ", stored.name));
    }
    return stored;
  }
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_RESOURCE_CODEC_H_
