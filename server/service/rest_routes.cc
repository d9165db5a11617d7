#include "server/service/rest_routes.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/base/log.h"
#include "server/core/field_violations.h"

namespace mpower {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
using google::protobuf::MethodDescriptor;
using google::protobuf::Reflection;

// One binding of google/api/http.proto's grammar, compiled:
//   Template = "/" Segments [ Verb ] ;  Segment = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;  Verb = ":" LITERAL ;
struct RestRoutes::Route {
  struct Segment {
    enum Kind { kLiteral, kOne, kAny } kind;  // LITERAL, "*", "**"
    std::string literal;
  };
  struct Variable {
    std::string field_path;
    size_t begin, end;  // the segments it covers
  };

  std::string http_method;
  std::string pattern;
  const MethodDescriptor* method;
  std::string body;
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;

  bool Parse() {
    if (!absl::StartsWith(pattern, "/")) return false;
    std::string rest = pattern.substr(1);
    // The verb follows the last ':' that no '/' or '}' follows.
    const size_t colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find_first_of("/}", colon) == std::string::npos) {
      verb = rest.substr(colon + 1);
      rest.resize(colon);
      if (verb.empty()) return false;
    }
    size_t at = 0;
    while (at < rest.size()) {
      if (rest[at] == '{') {
        const size_t close = rest.find('}', at);
        if (close == std::string::npos) return false;
        const std::string inner = rest.substr(at + 1, close - at - 1);
        const size_t equals = inner.find('=');
        Variable variable{inner.substr(0, equals), segments.size(), 0};
        const std::string inside = equals == std::string::npos ? "*" : inner.substr(equals + 1);
        for (absl::string_view piece : absl::StrSplit(inside, '/')) {
          if (!AddSegment(piece)) return false;
        }
        variable.end = segments.size();
        if (variable.field_path.empty()) return false;
        variables.push_back(std::move(variable));
        at = close + 1;
      } else {
        const size_t slash = std::min(rest.find('/', at), rest.size());
        if (!AddSegment(absl::string_view(rest).substr(at, slash - at))) return false;
        at = slash;
      }
      if (at < rest.size() && rest[at++] != '/') return false;
    }
    // "**" may only end the template.
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
      if (segments[i].kind == Segment::kAny) return false;
    }
    return !segments.empty();
  }

  bool AddSegment(absl::string_view text) {
    if (text.empty() || absl::StrContains(text, '{') || absl::StrContains(text, '}')) return false;
    segments.push_back(text == "*"    ? Segment{Segment::kOne, ""}
                       : text == "**" ? Segment{Segment::kAny, ""}
                                      : Segment{Segment::kLiteral, std::string(text)});
    return true;
  }

  // Whether `path` fits the template; if so, the variables' values.
  bool Matches(absl::string_view path,
               std::vector<std::pair<std::string, std::string>>& values) const {
    if (!absl::ConsumePrefix(&path, "/")) return false;
    if (!verb.empty() && !absl::ConsumeSuffix(&path, absl::StrCat(":", verb))) return false;
    const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
    const bool open_ended = segments.back().kind == Segment::kAny;
    if (open_ended ? parts.size() < segments.size() - 1 : parts.size() != segments.size()) {
      return false;
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].empty()) return false;
      if (i >= segments.size() - 1 && open_ended) continue;
      if (segments[i].kind == Segment::kLiteral && parts[i] != segments[i].literal) return false;
    }
    values.clear();
    for (const Variable& variable : variables) {
      const size_t end =
          variable.end == segments.size() && open_ended ? parts.size() : variable.end;
      values.emplace_back(variable.field_path,
                          absl::StrJoin(parts.begin() + variable.begin, parts.begin() + end, "/"));
    }
    return true;
  }
};

RestRoutes::RestRoutes(const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      std::vector<google::api::HttpRule> rules = {
          method->options().GetExtension(google::api::http)};
      for (const auto& more : rules.front().additional_bindings()) rules.push_back(more);
      for (const google::api::HttpRule& rule : rules) {
        auto route = std::make_unique<Route>();
        route->method = method;
        route->body = rule.body();
        switch (rule.pattern_case()) {
          case google::api::HttpRule::kGet:
            route->http_method = "GET", route->pattern = rule.get();
            break;
          case google::api::HttpRule::kPost:
            route->http_method = "POST", route->pattern = rule.post();
            break;
          case google::api::HttpRule::kPatch:
            route->http_method = "PATCH", route->pattern = rule.patch();
            break;
          case google::api::HttpRule::kPut:
            route->http_method = "PUT", route->pattern = rule.put();
            break;
          case google::api::HttpRule::kDelete:
            route->http_method = "DELETE", route->pattern = rule.delete_();
            break;
          default:
            break;
        }
        if (route->http_method.empty() || !route->Parse()) {
          Log(LogLevel::kError, "http",
              absl::StrCat(method->full_name(), " declares a route this server cannot serve: ",
                           rule.ShortDebugString()));
          std::abort();
        }
        routes_.push_back(std::move(route));
      }
    }
  }
}

const RestRoutes& RestRoutes::Mpower() {
  static const RestRoutes* const routes = [] {
    std::vector<const google::protobuf::ServiceDescriptor*> services;
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    for (const char* name :
         {"mpower.v1.PartnerService", "mpower.v1.InitiativeService", "mpower.v1.CommitmentService",
          "mpower.v1.AlertService", "mpower.v1.ResponseService", "mpower.v1.SubscriptionService",
          "mpower.v1.AdminService", "mpower.v1.ChangeService", "mpower.v1.ReportService",
          "mpower.v1.ServerInfoService", "mpower.v1.EncryptionKeyService"}) {
      if (const auto* service = pool->FindServiceByName(name)) services.push_back(service);
    }
    return new RestRoutes(services);
  }();
  return *routes;
}

RestRoutes::Lookup RestRoutes::Find(absl::string_view http_method, absl::string_view path,
                                    Match& match) const {
  Lookup lookup = Lookup::kNoRoute;
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& route : routes_) {
    if (!route->Matches(path, values)) continue;
    if (route->http_method != http_method) {
      lookup = Lookup::kOtherMethod;
      continue;
    }
    match.method = route->method;
    match.body = route->body;
    match.variables = std::move(values);
    return Lookup::kFound;
  }
  return lookup;
}

std::vector<std::pair<std::string, std::string>> RestRoutes::Describe() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& route : routes_) {
    out.emplace_back(absl::StrCat(route->http_method, " ", route->pattern),
                     route->method->full_name());
  }
  return out;
}

namespace {

// "updateMask" or "update_mask" names the field update_mask.
const FieldDescriptor* FindField(const Descriptor* type, absl::string_view name) {
  const std::string text(name);
  const FieldDescriptor* field = type->FindFieldByName(text);
  return field != nullptr ? field : type->FindFieldByCamelcaseName(text);
}

// "displayName" as "display_name", for update masks written either way.
std::string SnakeCase(absl::string_view path) {
  std::string out;
  for (char c : path) {
    if (absl::ascii_isupper(c)) {
      out.push_back('_');
      out.push_back(absl::ascii_tolower(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Sets the field at the end of `path` in `message` to `text`, appending
// to a repeated field. An empty string when it worked; otherwise what is
// wrong, for the parameter's field violation.
std::string SetField(Message& message, const std::vector<const FieldDescriptor*>& path,
                     const std::string& text) {
  Message* target = &message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    target = target->GetReflection()->MutableMessage(target, path[i]);
  }
  const FieldDescriptor* field = path.back();
  const Reflection* reflection = target->GetReflection();
  const bool repeated = field->is_repeated();
  const auto invalid = [&](absl::string_view kind) {
    return absl::StrCat("\"", absl::CHexEscape(text), "\" is not ", kind);
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = text;
      if (field->type() == FieldDescriptor::TYPE_BYTES &&
          !absl::WebSafeBase64Unescape(text, &value) && !absl::Base64Unescape(text, &value)) {
        return invalid("base64");
      }
      repeated ? reflection->AddString(target, field, value)
               : reflection->SetString(target, field, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return invalid("a 32-bit integer");
      repeated ? reflection->AddInt32(target, field, value)
               : reflection->SetInt32(target, field, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return invalid("a 64-bit integer");
      repeated ? reflection->AddInt64(target, field, value)
               : reflection->SetInt64(target, field, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value)) return invalid("an unsigned 32-bit integer");
      repeated ? reflection->AddUInt32(target, field, value)
               : reflection->SetUInt32(target, field, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) return invalid("an unsigned 64-bit integer");
      repeated ? reflection->AddUInt64(target, field, value)
               : reflection->SetUInt64(target, field, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return invalid("a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? reflection->AddFloat(target, field, static_cast<float>(value))
                 : reflection->SetFloat(target, field, static_cast<float>(value));
      } else {
        repeated ? reflection->AddDouble(target, field, value)
                 : reflection->SetDouble(target, field, value);
      }
      return "";
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (text != "true" && text != "false") return invalid("true or false");
      repeated ? reflection->AddBool(target, field, text == "true")
               : reflection->SetBool(target, field, text == "true");
      return "";
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field->enum_type()->FindValueByName(text);
      if (value == nullptr) {
        return absl::StrCat(
            invalid(absl::StrCat("a ", field->enum_type()->name())), "; use a value's name, e.g. ",
            field->enum_type()->value(field->enum_type()->value_count() - 1)->name());
      }
      repeated ? reflection->AddEnum(target, field, value)
               : reflection->SetEnum(target, field, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* value = repeated ? reflection->AddMessage(target, field)
                                : reflection->MutableMessage(target, field);
      if (field->message_type()->full_name() == "google.protobuf.FieldMask") {
        auto* mask = static_cast<google::protobuf::FieldMask*>(value);
        for (absl::string_view mask_path : absl::StrSplit(text, ',', absl::SkipEmpty())) {
          mask->add_paths(SnakeCase(mask_path));
        }
        return "";
      }
      // Timestamp, Duration and the wrappers take a string in JSON.
      google::protobuf::Value json_text;
      json_text.set_string_value(text);
      std::string json;
      if (!google::protobuf::util::MessageToJsonString(json_text, &json).ok() ||
          !google::protobuf::util::JsonStringToMessage(json, value).ok()) {
        return invalid(absl::StrCat("a ", field->message_type()->full_name(), " in its JSON form"));
      }
      return "";
    }
  }
  return invalid("a value this field takes");
}

// The fields along a dotted `name`, or what is wrong with it. A query
// parameter must name a field that takes one value from text (a scalar,
// an enum, or a Timestamp, Duration or FieldMask); a route's body may name
// a message.
enum class Ending { kValue, kAny };
std::string ResolvePath(const Descriptor* type, absl::string_view name,
                        std::vector<const FieldDescriptor*>& path, Ending ending = Ending::kValue) {
  path.clear();
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    if (type == nullptr) return "names a field inside a field that has none";
    const FieldDescriptor* field = FindField(type, part);
    if (field == nullptr) {
      return absl::StrCat("the request has no field ", name,
                          "; docs/api.md lists each request's fields");
    }
    if (!path.empty() && path.back()->is_repeated()) {
      return "names a field inside a repeated field; send the request as JSON instead";
    }
    path.push_back(field);
    const bool scalar_like =
        field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->message_type()->file()->name().rfind("google/protobuf/", 0) == 0;
    type = scalar_like ? nullptr : field->message_type();
  }
  if (type != nullptr && ending == Ending::kValue) {
    return "names a message; name one of its fields, e.g. filter.collections";
  }
  return "";
}

std::string CanonicalName(const std::vector<const FieldDescriptor*>& path) {
  std::vector<std::string> names;
  for (const FieldDescriptor* field : path) names.push_back(field->name());
  return absl::StrJoin(names, ".");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Message>> RestRoutes::BuildRequest(
    const Match& match, const std::vector<std::pair<std::string, std::string>>& query,
    absl::string_view body) const {
  const Descriptor* type = match.method->input_type();
  std::unique_ptr<Message> request(MessageFactory::generated_factory()->GetPrototype(type)->New());
  FieldViolations violations;
  const bool has_body = !absl::StripAsciiWhitespace(body).empty();
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  std::vector<const FieldDescriptor*> path;
  if (match.body.empty()) {
    if (has_body) {
      violations.Add("body",
                     "this route takes no body; send the request's fields as query "
                     "parameters (docs/api.md)");
    }
  } else if (match.body == "*") {
    if (auto parsed = google::protobuf::util::JsonStringToMessage(
            has_body ? std::string(body) : "{}", request.get(), strict);
        !parsed.ok()) {
      violations.Add("body", absl::StrCat("not a ", type->name(), " in protobuf's JSON mapping: ",
                                          parsed.message().as_string()));
    }
  } else if (const std::string problem = ResolvePath(type, match.body, path, Ending::kAny);
             !problem.empty()) {
    violations.Add("body", problem);  // not reached: the protos' routes name real fields
  } else if (has_body) {
    Message* target = request.get();
    for (const FieldDescriptor* field : path) {
      target = target->GetReflection()->MutableMessage(target, field);
    }
    if (auto parsed =
            google::protobuf::util::JsonStringToMessage(std::string(body), target, strict);
        !parsed.ok()) {
      violations.Add("body",
                     absl::StrCat("not a ", target->GetDescriptor()->name(),
                                  " in protobuf's JSON mapping: ", parsed.message().as_string()));
    }
  }
  // What the path and the body set, which a parameter may not set again.
  std::set<std::string> taken;
  for (const auto& [name, value] : match.variables) {
    if (ResolvePath(type, name, path).empty()) {
      taken.insert(CanonicalName(path));
      if (std::string problem = SetField(*request, path, value); !problem.empty()) {
        violations.Add(name, problem);
      }
    }
  }
  std::set<std::string> seen;
  for (const auto& [name, value] : query) {
    if (match.body == "*") {
      violations.Add(name,
                     "this route takes the whole request as its JSON body; put the field "
                     "there, not in the query");
      continue;
    }
    if (std::string problem = ResolvePath(type, name, path); !problem.empty()) {
      violations.Add(name, problem);
      continue;
    }
    const std::string canonical = CanonicalName(path);
    if (taken.count(canonical) > 0 ||
        (!match.body.empty() &&
         (canonical == match.body || absl::StartsWith(canonical, absl::StrCat(match.body, "."))))) {
      violations.Add(name, absl::StrCat("is set by the route's path or body; set it there only"));
      continue;
    }
    if (!path.back()->is_repeated() && !seen.insert(canonical).second) {
      violations.Add(name, "is given twice, but takes one value");
      continue;
    }
    if (std::string problem = SetField(*request, path, value); !problem.empty()) {
      violations.Add(name, problem);
    }
  }
  if (!violations.empty()) return violations.ToStatus();
  return request;
}

}  // namespace mpower
