#include "server/service/message_bytes.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/unknown_field_set.h"

namespace mpower {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Protobuf's own bound on how deeply messages may nest.
constexpr int kMaxDepth = 100;

// The path of the first string field that is not UTF-8 in `bytes`, a
// `type` message, or "" if there is none. Reads the bytes as bare wire
// format (which checks no UTF-8) and uses `type` to name what it finds.
std::string FirstStringNotUtf8(const Descriptor& type, absl::string_view bytes,
                               absl::string_view prefix, int depth) {
  UnknownFieldSet fields;
  if (depth > kMaxDepth || !fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return "";
  }
  std::map<int, int> occurrences;  // of each repeated field so far, for its index
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    if (field.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* descriptor = type.FindFieldByNumber(field.number());
    if (descriptor == nullptr) continue;  // unknown fields are kept, not parsed
    std::string path = absl::StrCat(prefix, descriptor->name());
    if (descriptor->is_repeated() && !descriptor->is_map()) {
      absl::StrAppend(&path, "[", occurrences[field.number()]++, "]");
    }
    if (descriptor->type() == FieldDescriptor::TYPE_STRING) {
      // The check protobuf's parser applies to proto3 strings.
      if (!google::protobuf::internal::IsStructurallyValidUTF8(field.length_delimited())) {
        return path;
      }
    } else if (descriptor->type() == FieldDescriptor::TYPE_MESSAGE) {
      std::string nested = FirstStringNotUtf8(*descriptor->message_type(), field.length_delimited(),
                                              absl::StrCat(path, "."), depth + 1);
      if (!nested.empty()) return nested;
    }
  }
  return "";
}

std::string Flatten(const grpc::ByteBuffer& bytes) {
  std::vector<grpc::Slice> slices;
  std::string flat;
  if (!bytes.Dump(&slices).ok()) return flat;
  for (const grpc::Slice& slice : slices) {
    flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return flat;
}

}  // namespace

absl::Status ParseMessage(const grpc::ByteBuffer& bytes, google::protobuf::Message* message) {
  grpc::ByteBuffer shared = bytes;  // the reader needs its own handle; the slices are shared
  {
    // Protobuf logs an ERROR for each string that is not UTF-8. The client
    // hears about it, with the field named; the server's log need not take
    // a line for every such request anyone can send.
    google::protobuf::LogSilencer quiet;
    grpc::ProtoBufferReader reader(&shared);
    if (reader.status().ok() && message->ParseFromZeroCopyStream(&reader)) {
      return absl::OkStatus();
    }
  }
  const Descriptor& type = *message->GetDescriptor();
  const std::string field = FirstStringNotUtf8(type, Flatten(bytes), "", 0);
  if (!field.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": is not valid UTF-8. Every string in a request must be UTF-8; "
                     "send the text in that encoding"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the request is not a valid ", type.full_name(),
                   " message; generate the client from mpower's protos"));
}

grpc::ByteBuffer SerializeMessage(const google::protobuf::Message& message) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  // Fails only past 2 GiB, which no mpower response comes near.
  (void)grpc::SerializationTraits<google::protobuf::Message>::Serialize(message, &bytes,
                                                                        &own_buffer);
  return bytes;
}

}  // namespace mpower
