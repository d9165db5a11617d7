#include "client/render.h"

#include <algorithm>
#include <string_view>

#include "client/field_text.h"
#include "google/protobuf/util/json_util.h"

namespace mpower::cli {
namespace {

// Table cells stay on one line and within reason; names are never cut,
// since people copy them into the next command.
std::string Cell(std::string text, const Column& column) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  constexpr size_t kMaxWidth = 60;
  if (text.size() > kMaxWidth && std::string_view(column.path) != "name") {
    text = text.substr(0, kMaxWidth - 3) + "...";
  }
  return text;
}

}  // namespace

void PrintTable(const ResourceSpec& spec,
                const std::vector<const google::protobuf::Message*>& items, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const Column& column : spec.columns) header.push_back(column.header);
  rows.push_back(header);
  for (const google::protobuf::Message* item : items) {
    std::vector<std::string> row;
    for (const Column& column : spec.columns)
      row.push_back(Cell(FieldToText(*item, column.path), column));
    rows.push_back(std::move(row));
  }
  PrintAligned(rows, out);
}

void PrintAligned(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out << line << "\n";
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Cannot fail for a message of a generated type.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace mpower::cli
