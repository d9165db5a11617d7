#ifndef MPOWER_CLIENT_RESOURCES_H_
#define MPOWER_CLIENT_RESOURCES_H_

// What the CLI knows of each resource beyond its protos: the word users
// type, the table columns people see, and the flags for common fields.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace mpower::cli {

struct Column {
  const char* header;
  const char* path;  // dotted field path into the resource
};

struct FieldFlag {
  const char* flag;  // without "--", e.g. "display-name"
  const char* path;  // top-level field, e.g. "display_name"
  const char* help;
};

struct ResourceSpec {
  const char* plural;       // "partners": the CLI word and List's suffix
  const char* type;         // "Partner": the message, and Get/Create/... suffix
  const char* field;        // "partner": the field in Create/Update requests
  const char* parent_word;  // "partners" / "alerts" for nested resources; "" otherwise
  const char* example_name;
  std::vector<Column> columns;
  std::vector<FieldFlag> flags;
  // The service, when it is not `{type}Service`.
  const char* service_name = nullptr;
  // The List method and its repeated field, when not `List{Plural}` and
  // `{plural}`.
  const char* list_method = nullptr;
  const char* items_field = nullptr;
  // The arguments of a create for --help's examples, when example_name is
  // not in the demo data and this create makes it.
  const char* example_create = nullptr;

  const google::protobuf::ServiceDescriptor* service() const;
  const google::protobuf::Descriptor* message() const;
  // The List method, and the repeated field of its response that holds
  // the items.
  const google::protobuf::MethodDescriptor* list() const;
  const char* items() const { return items_field != nullptr ? items_field : plural; }
  bool nested() const { return parent_word[0] != '\0'; }
};

// Every resource the CLI serves, in the order `mpower --help` lists them.
const std::vector<ResourceSpec>& Resources();

// The resource whose plural is `word`, or nullptr.
const ResourceSpec* FindResource(absl::string_view word);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_RESOURCES_H_
