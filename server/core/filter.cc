#include "server/core/filter.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/base/status_macros.h"

namespace mpower {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe, kHas };

// A comparison's right-hand side, converted to the field's type at parse
// time: enums as their number, timestamps as (seconds, nanos).
using Value = std::variant<std::string, int64_t, double, bool, std::pair<int64_t, int32_t>>;

struct Token {
  enum Kind { kWord, kString, kSymbol, kEnd } kind;
  std::string text;
  size_t position;
};

absl::Status FilterError(absl::string_view what, size_t position) {
  return absl::InvalidArgumentError(
      absl::StrCat("filter: ", what, " (at character ", position + 1, ")"));
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '"' || c == '\'') {
      const size_t start = i++;
      std::string value;
      while (i < text.size() && text[i] != c) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i++]);
      }
      if (i >= text.size()) return FilterError("unterminated string", start);
      ++i;
      tokens.push_back({Token::kString, std::move(value), start});
    } else if (c == '(' || c == ')' || c == ':' || c == '=') {
      tokens.push_back({Token::kSymbol, std::string(1, c), i++});
    } else if (c == '!' || c == '<' || c == '>') {
      const size_t start = i++;
      std::string symbol(1, c);
      if (i < text.size() && text[i] == '=') symbol.push_back(text[i++]);
      if (symbol == "!") return FilterError("'!' must be followed by '='", start);
      tokens.push_back({Token::kSymbol, symbol, start});
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
               c == '+') {
      const size_t start = i;
      // A leading '-' is negation unless it starts a number.
      if (c == '-' &&
          (i + 1 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
        tokens.push_back({Token::kSymbol, "-", i++});
        continue;
      }
      while (i < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' ||
              text[i] == '-' || text[i] == '.' || text[i] == '+')) {
        ++i;
      }
      tokens.push_back({Token::kWord, std::string(text.substr(start, i - start)), start});
    } else {
      return FilterError(absl::StrCat("unexpected character '", std::string(1, c), "'"), i);
    }
  }
  tokens.push_back({Token::kEnd, "", text.size()});
  return tokens;
}

}  // namespace

struct Filter::Node {
  enum Kind { kAnd, kOr, kNot, kCompare } kind;
  std::vector<std::shared_ptr<const Node>> children;
  // For kCompare:
  std::vector<const FieldDescriptor*> path;  // message fields, then the leaf
  Comparator comparator = Comparator::kEq;
  Value value;
};

namespace {

using Node = Filter::Node;

class Parser {
 public:
  Parser(std::vector<Token> tokens, const Descriptor* descriptor,
         const std::vector<std::string>& allowed)
      : tokens_(std::move(tokens)), descriptor_(descriptor), allowed_(allowed) {}

  absl::StatusOr<std::shared_ptr<const Node>> ParseAll() {
    MPOWER_ASSIGN_OR_RETURN(auto root, ParseExpression(0));
    if (Peek().kind != Token::kEnd) {
      return FilterError(absl::StrCat("unexpected '", Peek().text, "'"), Peek().position);
    }
    return root;
  }

 private:
  const Token& Peek() const { return tokens_[index_]; }
  const Token& Next() { return tokens_[index_++]; }
  bool PeekWord(absl::string_view word) const {
    return Peek().kind == Token::kWord && Peek().text == word;
  }

  absl::StatusOr<std::shared_ptr<const Node>> ParseExpression(int depth) {
    if (depth > kMaxFilterDepth) return FilterError("nested too deeply", Peek().position);
    MPOWER_ASSIGN_OR_RETURN(auto first, ParseFactor(depth));
    if (!PeekWord("AND")) return first;
    auto node = std::make_shared<Node>();
    node->kind = Node::kAnd;
    node->children.push_back(std::move(first));
    while (PeekWord("AND")) {
      Next();
      MPOWER_ASSIGN_OR_RETURN(auto next, ParseFactor(depth));
      node->children.push_back(std::move(next));
    }
    return node;
  }

  absl::StatusOr<std::shared_ptr<const Node>> ParseFactor(int depth) {
    MPOWER_ASSIGN_OR_RETURN(auto first, ParseTerm(depth));
    if (!PeekWord("OR")) return first;
    auto node = std::make_shared<Node>();
    node->kind = Node::kOr;
    node->children.push_back(std::move(first));
    while (PeekWord("OR")) {
      Next();
      MPOWER_ASSIGN_OR_RETURN(auto next, ParseTerm(depth));
      node->children.push_back(std::move(next));
    }
    return node;
  }

  absl::StatusOr<std::shared_ptr<const Node>> ParseTerm(int depth) {
    if (PeekWord("NOT") || (Peek().kind == Token::kSymbol && Peek().text == "-")) {
      Next();
      MPOWER_ASSIGN_OR_RETURN(auto child, ParseSimple(depth + 1));
      auto node = std::make_shared<Node>();
      node->kind = Node::kNot;
      node->children.push_back(std::move(child));
      return node;
    }
    return ParseSimple(depth);
  }

  absl::StatusOr<std::shared_ptr<const Node>> ParseSimple(int depth) {
    if (Peek().kind == Token::kSymbol && Peek().text == "(") {
      Next();
      MPOWER_ASSIGN_OR_RETURN(auto inner, ParseExpression(depth + 1));
      if (Peek().kind != Token::kSymbol || Peek().text != ")") {
        return FilterError("expected ')'", Peek().position);
      }
      Next();
      return inner;
    }
    return ParseComparison();
  }

  absl::StatusOr<std::shared_ptr<const Node>> ParseComparison() {
    const Token field = Next();
    if (field.kind != Token::kWord) {
      return FilterError("expected a field name", field.position);
    }
    if (++comparisons_ > kMaxFilterComparisons) {
      return FilterError(absl::StrCat("too many comparisons; at most ", kMaxFilterComparisons),
                         field.position);
    }
    auto node = std::make_shared<Node>();
    node->kind = Node::kCompare;
    MPOWER_ASSIGN_OR_RETURN(node->path, ResolveField(field));
    const Token op = Next();
    static const std::pair<absl::string_view, Comparator> kComparators[] = {
        {"=", Comparator::kEq},  {"!=", Comparator::kNe}, {"<", Comparator::kLt},
        {"<=", Comparator::kLe}, {">", Comparator::kGt},  {">=", Comparator::kGe},
        {":", Comparator::kHas}};
    const auto found = std::find_if(std::begin(kComparators), std::end(kComparators),
                                    [&](const auto& c) { return c.first == op.text; });
    if (op.kind != Token::kSymbol || found == std::end(kComparators)) {
      return FilterError(
          absl::StrCat("expected a comparator (=, !=, <, <=, >, >=, :) after `", field.text, "`"),
          op.position);
    }
    node->comparator = found->second;
    const Token value = Next();
    if (value.kind != Token::kWord && value.kind != Token::kString) {
      return FilterError(absl::StrCat("expected a value after `", field.text, " ", op.text, "`"),
                         value.position);
    }
    MPOWER_RETURN_IF_ERROR(CheckComparator(*node, field));
    MPOWER_ASSIGN_OR_RETURN(node->value, ConvertValue(node->path.back(), value, field.text));
    return node;
  }

  absl::StatusOr<std::vector<const FieldDescriptor*>> ResolveField(const Token& token) {
    if (std::find(allowed_.begin(), allowed_.end(), token.text) == allowed_.end()) {
      return FilterError(
          absl::StrCat("cannot filter on `", token.text,
                       "`; fields you can filter on: ", absl::StrJoin(allowed_, ", ")),
          token.position);
    }
    std::vector<const FieldDescriptor*> path;
    const Descriptor* current = descriptor_;
    for (absl::string_view part : absl::StrSplit(token.text, '.')) {
      const FieldDescriptor* field =
          current == nullptr ? nullptr : current->FindFieldByName(std::string(part));
      if (field == nullptr) {
        return absl::InternalError(
            absl::StrCat("filter allow-list names unknown field ", token.text));
      }
      path.push_back(field);
      current = field->message_type();
    }
    return path;
  }

  absl::Status CheckComparator(const Node& node, const Token& field) {
    const FieldDescriptor* leaf = node.path.back();
    const bool ordered = node.comparator == Comparator::kLt || node.comparator == Comparator::kLe ||
                         node.comparator == Comparator::kGt || node.comparator == Comparator::kGe;
    if (leaf->is_repeated() && node.comparator != Comparator::kHas) {
      return FilterError(absl::StrCat("`", field.text, "` is a list; use `", field.text,
                                      ":value` to match lists containing a value"),
                         field.position);
    }
    if (ordered && (leaf->type() == FieldDescriptor::TYPE_ENUM ||
                    leaf->type() == FieldDescriptor::TYPE_BOOL)) {
      return FilterError(absl::StrCat("`", field.text, "` can only be compared with = or !="),
                         field.position);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value> ConvertValue(const FieldDescriptor* leaf, const Token& value,
                                     absl::string_view field) {
    const auto bad = [&](absl::string_view expected) {
      return FilterError(absl::StrCat("`", field, "` takes ", expected), value.position);
    };
    switch (leaf->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return Value(value.text);
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t number;
        if (!absl::SimpleAtoi(value.text, &number)) return bad("a whole number");
        return Value(number);
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double number;
        if (!absl::SimpleAtod(value.text, &number)) return bad("a number");
        return Value(number);
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (value.text == "true") return Value(true);
        if (value.text == "false") return Value(false);
        return bad("true or false");
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumDescriptor* type = leaf->enum_type();
        auto* found = type->FindValueByName(value.text);
        if (found == nullptr) {
          // Accept the value without its prefix: OPEN for STATUS_OPEN.
          std::string prefix = type->value(0)->name();
          prefix.resize(prefix.size() - absl::string_view("UNSPECIFIED").size());
          found = type->FindValueByName(prefix + value.text);
        }
        if (found == nullptr || found->number() == 0) {
          std::vector<std::string> names;
          for (int i = 1; i < type->value_count(); ++i) names.push_back(type->value(i)->name());
          return bad(absl::StrCat("one of ", absl::StrJoin(names, ", ")));
        }
        return Value(static_cast<int64_t>(found->number()));
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (leaf->message_type()->full_name() != "google.protobuf.Timestamp") {
          return bad("no values; filter on one of its fields");
        }
        absl::Time time;
        std::string error;
        if (!absl::ParseTime(absl::RFC3339_full, value.text, &time, &error)) {
          return bad("an RFC 3339 time such as \"2024-05-01T00:00:00Z\"");
        }
        const int64_t seconds = absl::ToUnixSeconds(time);
        const int32_t nanos =
            static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds)));
        return Value(std::make_pair(seconds, nanos));
      }
      default:
        return bad("no values of this type");
    }
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
  int comparisons_ = 0;
  const Descriptor* descriptor_;
  const std::vector<std::string>& allowed_;
};

template <typename T>
bool Compare(const T& actual, Comparator comparator, const T& expected) {
  switch (comparator) {
    case Comparator::kEq:
    case Comparator::kHas:
      return actual == expected;
    case Comparator::kNe:
      return !(actual == expected);
    case Comparator::kLt:
      return actual < expected;
    case Comparator::kLe:
      return !(expected < actual);
    case Comparator::kGt:
      return expected < actual;
    case Comparator::kGe:
      return !(actual < expected);
  }
  return false;
}

// Compares one element (index < 0 for a singular field) of `leaf` in
// `message` with the node's value.
bool CompareField(const Message& message, const FieldDescriptor* leaf, int index,
                  const Node& node) {
  const Reflection* r = message.GetReflection();
  const bool repeated = index >= 0;
  switch (leaf->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return Compare(
          repeated ? r->GetRepeatedString(message, leaf, index) : r->GetString(message, leaf),
          node.comparator, std::get<std::string>(node.value));
    case FieldDescriptor::CPPTYPE_INT32:
      return Compare<int64_t>(
          repeated ? r->GetRepeatedInt32(message, leaf, index) : r->GetInt32(message, leaf),
          node.comparator, std::get<int64_t>(node.value));
    case FieldDescriptor::CPPTYPE_INT64:
      return Compare<int64_t>(
          repeated ? r->GetRepeatedInt64(message, leaf, index) : r->GetInt64(message, leaf),
          node.comparator, std::get<int64_t>(node.value));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Compare(
          repeated ? r->GetRepeatedDouble(message, leaf, index) : r->GetDouble(message, leaf),
          node.comparator, std::get<double>(node.value));
    case FieldDescriptor::CPPTYPE_BOOL:
      return Compare(
          repeated ? r->GetRepeatedBool(message, leaf, index) : r->GetBool(message, leaf),
          node.comparator, std::get<bool>(node.value));
    case FieldDescriptor::CPPTYPE_ENUM:
      return Compare<int64_t>(
          repeated ? r->GetRepeatedEnumValue(message, leaf, index) : r->GetEnumValue(message, leaf),
          node.comparator, std::get<int64_t>(node.value));
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!repeated && !r->HasField(message, leaf)) return node.comparator == Comparator::kNe;
      const auto& time = static_cast<const google::protobuf::Timestamp&>(
          repeated ? r->GetRepeatedMessage(message, leaf, index) : r->GetMessage(message, leaf));
      return Compare(std::make_pair(time.seconds(), time.nanos()), node.comparator,
                     std::get<std::pair<int64_t, int32_t>>(node.value));
    }
    default:
      return false;
  }
}

bool Evaluate(const Node& node, const Message& message) {
  switch (node.kind) {
    case Node::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const auto& child) { return Evaluate(*child, message); });
    case Node::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const auto& child) { return Evaluate(*child, message); });
    case Node::kNot:
      return !Evaluate(*node.children[0], message);
    case Node::kCompare: {
      const Message* current = &message;
      for (size_t i = 0; i + 1 < node.path.size(); ++i) {
        current = &current->GetReflection()->GetMessage(*current, node.path[i]);
      }
      const FieldDescriptor* leaf = node.path.back();
      if (!leaf->is_repeated()) return CompareField(*current, leaf, -1, node);
      const int size = current->GetReflection()->FieldSize(*current, leaf);
      for (int i = 0; i < size; ++i) {
        if (CompareField(*current, leaf, i, node)) return true;
      }
      return false;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Filter> Filter::Parse(absl::string_view text, const Descriptor* descriptor,
                                     const std::vector<std::string>& allowed_fields) {
  Filter filter;
  if (text.size() > kMaxFilterLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: too long; at most ", kMaxFilterLength, " characters"));
  }
  if (std::all_of(text.begin(), text.end(), [](char c) { return c == ' '; })) return filter;
  MPOWER_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  Parser parser(std::move(tokens), descriptor, allowed_fields);
  MPOWER_ASSIGN_OR_RETURN(filter.root_, parser.ParseAll());
  return filter;
}

std::string Filter::RequiredValue(absl::string_view field) const {
  if (root_ == nullptr) return "";
  std::vector<const Node*> conjuncts;
  if (root_->kind == Node::kAnd) {
    for (const auto& child : root_->children) conjuncts.push_back(child.get());
  } else {
    conjuncts.push_back(root_.get());
  }
  for (const Node* node : conjuncts) {
    if (node->kind != Node::kCompare || node->path.size() != 1 || node->path[0]->name() != field) {
      continue;
    }
    const bool repeated = node->path[0]->is_repeated();
    if (!(repeated && node->comparator == Comparator::kHas) &&
        !(!repeated && node->comparator == Comparator::kEq)) {
      continue;
    }
    if (std::holds_alternative<std::string>(node->value)) {
      return std::get<std::string>(node->value);
    }
    if (node->path[0]->type() == FieldDescriptor::TYPE_ENUM &&
        std::holds_alternative<int64_t>(node->value)) {
      return std::to_string(std::get<int64_t>(node->value));
    }
  }
  return "";
}

bool Filter::Matches(const Message& message) const {
  return root_ == nullptr || Evaluate(*root_, message);
}

}  // namespace mpower
