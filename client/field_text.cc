#include "client/field_text.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/common.pb.h"
#include "server/core/money.h"

namespace mpower::cli {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// "TYPE_UNSPECIFIED" -> "TYPE_": the prefix every value of the enum shares.
std::string EnumPrefix(const EnumDescriptor* type) {
  const std::string& zero = type->value(0)->name();
  return zero.substr(0, zero.size() - std::string("UNSPECIFIED").size());
}

const EnumValueDescriptor* FindEnumValue(const EnumDescriptor* type, absl::string_view text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  const EnumValueDescriptor* value = type->FindValueByName(upper);
  if (value == nullptr) value = type->FindValueByName(EnumPrefix(type) + upper);
  return value != nullptr && value->number() != 0 ? value : nullptr;
}

std::string ShortEnumName(const EnumValueDescriptor* value) {
  if (value == nullptr) return "";
  return std::string(absl::StripPrefix(value->name(), EnumPrefix(value->type())));
}

absl::Status Bad(absl::string_view path, absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat("--", path, ": expected ", expected));
}

bool ParseDate(absl::string_view text, v1::Date& date) {
  int year, month, day;
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &year) ||
      !absl::SimpleAtoi(parts[1], &month) || !absl::SimpleAtoi(parts[2], &day)) {
    return false;
  }
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return true;
}

absl::Status SetMessage(Message* target, const FieldDescriptor* field, absl::string_view text) {
  const std::string& type = field->message_type()->full_name();
  if (type == "mpower.v1.Date") {
    if (!ParseDate(text, *static_cast<v1::Date*>(target))) {
      return Bad(field->name(), "a date as YYYY-MM-DD");
    }
    return absl::OkStatus();
  }
  if (type == "mpower.v1.Commitment.Milestone") {
    // "RATIFIED 1999-12-02", or "IN_FORCE" when no source gives the date.
    std::vector<absl::string_view> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
    auto* milestone = static_cast<v1::Commitment::Milestone*>(target);
    const EnumValueDescriptor* stage =
        parts.empty() ? nullptr : FindEnumValue(v1::Commitment::Stage_descriptor(), parts[0]);
    if (parts.empty() || parts.size() > 2 || stage == nullptr ||
        (parts.size() == 2 && !ParseDate(parts[1], *milestone->mutable_date()))) {
      return Bad(field->name(),
                 "milestones as a stage and an optional date, e.g. \"RATIFIED 1999-12-02\" or "
                 "\"IN_FORCE\"");
    }
    milestone->set_stage(static_cast<v1::Commitment::Stage>(stage->number()));
    return absl::OkStatus();
  }
  if (type == "google.protobuf.Timestamp") {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
      return Bad(field->name(), "an RFC 3339 time such as 2026-01-31T09:00:00Z");
    }
    auto* stamp = static_cast<google::protobuf::Timestamp*>(target);
    stamp->set_seconds(absl::ToUnixSeconds(time));
    stamp->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(stamp->seconds()))));
    return absl::OkStatus();
  }
  if (type == "mpower.v1.Money") {
    std::vector<absl::string_view> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
    if (parts.size() != 2)
      return Bad(field->name(), "an amount and currency, e.g. \"122000000 USD\"");
    absl::StatusOr<v1::Money> money = ParseMoney(parts[1], parts[0]);
    if (!money.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", field->name(), ": ", money.status().message()));
    }
    static_cast<v1::Money*>(target)->CopyFrom(*money);
    return absl::OkStatus();
  }
  return Bad(field->name(), "a value given with -f FILE instead; this field has no flag form");
}

std::string MessageToText(const Message& message) {
  const std::string& type = message.GetDescriptor()->full_name();
  if (type == "mpower.v1.Date") {
    const auto& date = static_cast<const v1::Date&>(message);
    return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
  }
  if (type == "google.protobuf.Timestamp") {
    const auto& stamp = static_cast<const google::protobuf::Timestamp&>(message);
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(stamp.seconds()),
                            absl::UTCTimeZone());
  }
  if (type == "mpower.v1.Money") {
    const auto& money = static_cast<const v1::Money&>(message);
    return absl::StrCat(money.currency_code(), " ", FormatDecimal(money));
  }
  if (type == "mpower.v1.Commitment.Milestone") {
    const auto& milestone = static_cast<const v1::Commitment::Milestone&>(message);
    std::string text =
        ShortEnumName(v1::Commitment::Stage_descriptor()->FindValueByNumber(milestone.stage()));
    if (milestone.has_date()) absl::StrAppend(&text, " ", MessageToText(milestone.date()));
    return text;
  }
  return "…";
}

std::string ElementToText(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
    case FieldDescriptor::CPPTYPE_ENUM: {
      // An unset enum shows as nothing, as an unset message does.
      const EnumValueDescriptor* value =
          repeated ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field);
      return value->number() == 0 ? "" : ShortEnumName(value);
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? r->GetRepeatedInt32(message, field, index)
                                   : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? r->GetRepeatedInt64(message, field, index)
                                   : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (!repeated && !r->HasField(message, field)) return "";
      return MessageToText(repeated ? r->GetRepeatedMessage(message, field, index)
                                    : r->GetMessage(message, field));
    default:
      return "";
  }
}

}  // namespace

absl::Status SetFieldFromText(Message& message, absl::string_view path, absl::string_view text) {
  if (const size_t dot = path.find('.'); dot != absl::string_view::npos) {
    const FieldDescriptor* outer =
        message.GetDescriptor()->FindFieldByName(std::string(path.substr(0, dot)));
    if (outer == nullptr || outer->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        outer->is_repeated()) {
      return absl::InternalError(absl::StrCat("no field ", path));
    }
    return SetFieldFromText(*message.GetReflection()->MutableMessage(&message, outer),
                            path.substr(dot + 1), text);
  }
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(std::string(path));
  if (field == nullptr) return absl::InternalError(absl::StrCat("no field ", path));
  const Reflection* r = message.GetReflection();
  r->ClearField(&message, field);
  std::vector<absl::string_view> values;
  if (field->is_repeated()) {
    values = absl::StrSplit(text, ',', absl::SkipWhitespace());
  } else {
    values.push_back(text);
  }
  for (absl::string_view value : values) {
    value = absl::StripAsciiWhitespace(value);
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        field->is_repeated() ? r->AddString(&message, field, std::string(value))
                             : r->SetString(&message, field, std::string(value));
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumValueDescriptor* found = FindEnumValue(field->enum_type(), value);
        if (found == nullptr) {
          std::vector<std::string> names;
          for (int i = 1; i < field->enum_type()->value_count(); ++i) {
            names.push_back(ShortEnumName(field->enum_type()->value(i)));
          }
          return Bad(path, absl::StrCat("one of ", absl::StrJoin(names, ", ")));
        }
        field->is_repeated() ? r->AddEnum(&message, field, found)
                             : r->SetEnum(&message, field, found);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t number;
        if (field->is_repeated() || !absl::SimpleAtoi(value, &number)) {
          return Bad(path, "a whole number");
        }
        r->SetInt64(&message, field, number);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (value != "true" && value != "false") return Bad(path, "true or false");
        r->SetBool(&message, field, value == "true");
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* target = field->is_repeated() ? r->AddMessage(&message, field)
                                               : r->MutableMessage(&message, field);
        absl::Status status = SetMessage(target, field, value);
        if (!status.ok()) return status;
        break;
      }
      default:
        return Bad(path, "a value given with -f FILE; this field has no flag form");
    }
  }
  return absl::OkStatus();
}

std::string FieldToText(const Message& message, absl::string_view path) {
  const Message* current = &message;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (field == nullptr) return "";
    if (i + 1 < parts.size()) {
      current = &current->GetReflection()->GetMessage(*current, field);
      continue;
    }
    if (!field->is_repeated()) return ElementToText(*current, field, -1);
    std::vector<std::string> elements;
    const int size = current->GetReflection()->FieldSize(*current, field);
    for (int k = 0; k < size; ++k) elements.push_back(ElementToText(*current, field, k));
    return absl::StrJoin(elements, ",");
  }
  return "";
}

}  // namespace mpower::cli
