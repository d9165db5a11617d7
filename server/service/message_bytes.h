#ifndef MPOWER_SERVER_SERVICE_MESSAGE_BYTES_H_
#define MPOWER_SERVER_SERVICE_MESSAGE_BYTES_H_

// Requests arrive as bytes and mpower parses them itself, rather than
// letting gRPC do it, so a request protobuf refuses to parse still gets an
// answer that says what to fix. gRPC C++ 1.51's callback handlers answer
// such a request with UNIMPLEMENTED and no message, and a bidirectional
// stream cannot tell a chunk that failed to parse from the client's end of
// the stream. The common case is a string field that is not UTF-8, which
// proto3 forbids.

#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace mpower {

// Parses `bytes` into `message`. If they do not parse, INVALID_ARGUMENT
// naming the first field at fault (e.g. "alert.title" or
// "commitments[3].title" when a string is not UTF-8), and `message` is
// left in an unspecified state.
absl::Status ParseMessage(const grpc::ByteBuffer& bytes, google::protobuf::Message* message);

// `message` as the bytes gRPC sends.
grpc::ByteBuffer SerializeMessage(const google::protobuf::Message& message);

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_MESSAGE_BYTES_H_
