#ifndef MPOWER_CLIENT_RENDER_H_
#define MPOWER_CLIENT_RENDER_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/resources.h"
#include "google/protobuf/message.h"

namespace mpower::cli {

// Prints `items` (messages of `spec`'s type) as an aligned table with the
// resource's columns, for people.
void PrintTable(const ResourceSpec& spec,
                const std::vector<const google::protobuf::Message*>& items, std::ostream& out);

// Prints `rows` (the first is usually the header) in aligned columns.
void PrintAligned(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

// `message` in protobuf's JSON mapping, indented, for scripts.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_RENDER_H_
