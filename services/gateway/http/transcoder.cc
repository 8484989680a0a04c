#include "services/gateway/http/transcoder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/text/text.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"

namespace jifen::gateway {
namespace {

namespace pb = google::protobuf;
using nlohmann::json;

const pb::FieldDescriptor* FindField(const pb::Descriptor& type, absl::string_view name) {
  const std::string key(name);
  if (const pb::FieldDescriptor* field = type.FindFieldByName(key)) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

bool IsWellKnown(const pb::Descriptor& type) { return type.file()->package() == "google.protobuf"; }

// Decimal digits with an optional leading '-', nothing else: absl::SimpleAtoi also takes " 12",
// "+12" and "12\n", which made /v1/households/%2012 the household 12.
bool IsPlainInteger(absl::string_view text) {
  absl::ConsumePrefix(&text, "-");
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return absl::ascii_isdigit(c); });
}

// A query parameter names a scalar field, possibly inside singular message fields ("board.scope"),
// as HTTP transcoding does elsewhere: requests like GetBoard carry their key in a nested message
// and a GET has no body to put it in. Returns the message that holds the leaf (created on the way)
// and the leaf, or nullptr with `error` filled.
std::pair<pb::Message*, const pb::FieldDescriptor*> ResolveQueryField(pb::Message& message,
                                                                      absl::string_view name,
                                                                      FieldError* error) {
  pb::Message* target = &message;
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* field = FindField(*target->GetDescriptor(), parts[i]);
    if (field == nullptr) {
      *error = {std::string(name), "unknown field"};
      return {nullptr, nullptr};
    }
    const bool is_message = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE;
    if (i + 1 == parts.size()) {
      if (!is_message) return {target, field};
    } else if (is_message && !field->is_repeated() && !IsWellKnown(*field->message_type())) {
      target = target->GetReflection()->MutableMessage(target, field);
      continue;
    }
    *error = {std::string(name), "can't be given in the query string"};
    return {nullptr, nullptr};
  }
  *error = {std::string(name), "unknown field"};
  return {nullptr, nullptr};
}

// The kind of JSON value a (non-repeated) field takes, checked before protobuf's parser sees the
// body: its messages name internal types ("invalid value 12 for type TYPE_STRING",
// "type.googleapis.com/jifen.scoring.v1.Rating") and, for an object or a list in place of a scalar,
// no field at all. Empty when `value` fits.
std::string KindProblem(const json& value, const pb::FieldDescriptor& field) {
  if (value.is_null()) return "";  // null is the field's default in protobuf's JSON mapping
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return value.is_string() ? "" : "must be a string";
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return value.is_boolean() ? "" : "must be true or false";
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      const bool is_signed = field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32 ||
                             field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64;
      const bool is_64 = field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64 ||
                         field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64;
      std::string text;
      if (value.is_number_integer()) {
        text = value.dump();
      } else if (value.is_string()) {
        text = value.get<std::string>();
      } else {
        return "must be an integer";
      }
      if (!IsPlainInteger(text)) return "must be an integer";
      bool fits;
      if (is_signed) {
        int64_t v;
        fits = absl::SimpleAtoi(text, &v) &&
               (is_64 || (v >= std::numeric_limits<int32_t>::min() &&
                          v <= std::numeric_limits<int32_t>::max()));
      } else {
        uint64_t v;
        fits = absl::SimpleAtoi(text, &v) && (is_64 || v <= std::numeric_limits<uint32_t>::max());
      }
      return fits ? "" : "is out of range";
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return value.is_number() || value.is_string() ? "" : "must be a number";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      // Protobuf's JSON mapping takes a value's name or its number; either must be one the
      // contract lists, in the body as in the query string.
      if (value.is_number_integer()) {
        return value.get<int64_t>() >= std::numeric_limits<int32_t>::min() &&
                       value.get<int64_t>() <= std::numeric_limits<int32_t>::max() &&
                       field.enum_type()->FindValueByNumber(
                           static_cast<int>(value.get<int64_t>())) != nullptr
                   ? ""
                   : "must be one of the listed values";
      }
      if (!value.is_string()) return "must be one of the listed values";
      return field.enum_type()->FindValueByName(value.get<std::string>()) != nullptr
                 ? ""
                 : "must be one of the listed values";
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return value.is_object() || IsWellKnown(*field.message_type()) ? "" : "must be an object";
  }
  return "";
}

// Protobuf's parser names only the first problem and not always the path; walking the JSON against
// the descriptor first gives every unknown field, and every value of the wrong kind, its full path.
void FindFieldError(const json& value, const pb::Descriptor& type, const std::string& path,
                    FieldError* error) {
  if (!value.is_object() || IsWellKnown(type)) return;
  for (auto it = value.begin(); it != value.end() && error->field.empty(); ++it) {
    const std::string here = path.empty() ? it.key() : absl::StrCat(path, ".", it.key());
    const pb::FieldDescriptor* field = FindField(type, it.key());
    if (field == nullptr) {
      *error = {here, "unknown field"};
      return;
    }
    if (it->is_null()) continue;
    if (field->is_map()) {
      if (!it->is_object()) {
        *error = {here, "must be an object"};
        return;
      }
      const pb::FieldDescriptor* map_value = field->message_type()->map_value();
      for (auto entry = it->begin(); entry != it->end() && error->field.empty(); ++entry) {
        const std::string entry_path = absl::StrCat(here, "[\"", entry.key(), "\"]");
        if (const std::string problem = KindProblem(*entry, *map_value); !problem.empty()) {
          *error = {entry_path, problem};
        } else if (map_value->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          FindFieldError(*entry, *map_value->message_type(), entry_path, error);
        }
      }
    } else if (field->is_repeated()) {
      if (!it->is_array()) {
        *error = {here, "must be a list"};
        return;
      }
      for (size_t i = 0; i < it->size() && error->field.empty(); ++i) {
        const std::string element = absl::StrCat(here, "[", i, "]");
        const json& item = (*it)[i];
        if (item.is_null()) {
          *error = {element, "must not be null"};
        } else if (const std::string problem = KindProblem(item, *field); !problem.empty()) {
          *error = {element, problem};
        } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          FindFieldError(item, *field->message_type(), element, error);
        }
      }
    } else if (const std::string problem = KindProblem(*it, *field); !problem.empty()) {
      *error = {here, problem};
    } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      FindFieldError(*it, *field->message_type(), here, error);
    }
  }
}

// Parses a JSON body, refusing a key given twice in one object (protobuf's parser and ours could
// otherwise read different values of it). On a duplicate, `duplicate` names the key.
json ParseBody(absl::string_view text, std::string* duplicate) {
  std::vector<std::vector<std::string>> keys;  // the keys seen so far, per open object
  const json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string()) {
          std::vector<std::string>& seen = keys.back();
          const std::string& key = parsed.get_ref<const std::string&>();
          if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            if (duplicate->empty()) *duplicate = key;
          } else {
            seen.push_back(key);
          }
        }
        break;
      default:
        break;
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
}

// Protobuf 3.21 reports e.g. "(household_id): invalid value "x" for type TYPE_INT64"; the field in
// parentheses is what the client needs.
// What is left for it after FindFieldError (e.g. bytes that are not base64) is told as "invalid
// value": its wording names protobuf's internal types.
FieldError FromProtobufError(absl::string_view message) {
  FieldError error;
  const size_t open = message.find('(');
  const size_t close = message.find("):", open == absl::string_view::npos ? 0 : open);
  if (open != absl::string_view::npos && close != absl::string_view::npos && close > open + 1) {
    error.field = std::string(message.substr(open + 1, close - open - 1));
  }
  error.reason = "invalid value";
  return error;
}

bool IsIntegerType(const pb::FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

absl::Status SetScalar(pb::Message& message, const pb::FieldDescriptor& field,
                       const std::string& text, FieldError* error) {
  const pb::Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  auto fail = [&](absl::string_view why) {
    *error = {field.name(), std::string(why)};
    return absl::InvalidArgumentError(absl::StrCat(field.name(), ": ", why));
  };
  // A proto3 string must be UTF-8: the service would refuse to parse the request and the caller
  // would get a 500 for a bad %FF in the URL.
  if (jifen::text::Utf8Length(text) < 0) return fail("not valid UTF-8 text");
  if (IsIntegerType(field) && !IsPlainInteger(text)) return fail("not an integer");
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return fail("not a 32-bit integer");
      repeated ? reflection.AddInt32(&message, &field, v)
               : reflection.SetInt32(&message, &field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return fail("not an integer");
      repeated ? reflection.AddInt64(&message, &field, v)
               : reflection.SetInt64(&message, &field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return fail("not an unsigned 32-bit integer");
      repeated ? reflection.AddUInt32(&message, &field, v)
               : reflection.SetUInt32(&message, &field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return fail("not an unsigned integer");
      repeated ? reflection.AddUInt64(&message, &field, v)
               : reflection.SetUInt64(&message, &field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text == "false" || text == "0") {
        v = false;
      } else {
        return fail("not a boolean (true or false)");
      }
      repeated ? reflection.AddBool(&message, &field, v) : reflection.SetBool(&message, &field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (field.type() == pb::FieldDescriptor::TYPE_BYTES) return fail("bytes only in a JSON body");
      repeated ? reflection.AddString(&message, &field, text)
               : reflection.SetString(&message, &field, text);
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      // A name, or a number as protobuf's JSON mapping allows (as in a JSON body).
      int number = 0;
      const pb::EnumValueDescriptor* value =
          absl::SimpleAtoi(text, &number) ? field.enum_type()->FindValueByNumber(number)
                                          : field.enum_type()->FindValueByName(text);
      if (value == nullptr) return fail("unknown enum value");
      repeated ? reflection.AddEnum(&message, &field, value)
               : reflection.SetEnum(&message, &field, value);
      return absl::OkStatus();
    }
    default:
      return fail("can't be given in the query string");
  }
}

// A path's "{village_id}" names one thing: ids are positive, and 0 (protobuf's "not given") would
// reach a service as a list of nothing or a lookup of nothing. False for an integer field named
// *_id holding 0 or less; true for every other field.
bool IsPositiveIdOrNoId(const pb::Message& message, const pb::FieldDescriptor& field) {
  if (!absl::EndsWith(field.name(), "_id") || field.is_repeated()) return true;
  const pb::Reflection& reflection = *message.GetReflection();
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return reflection.GetInt64(message, &field) > 0;
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return reflection.GetInt32(message, &field) > 0;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return reflection.GetUInt64(message, &field) > 0;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return reflection.GetUInt32(message, &field) > 0;
    default:
      return true;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<pb::Message>> BuildRequest(const Route& route,
                                                          const PathValues& path_values,
                                                          const QueryParams& query,
                                                          absl::string_view body,
                                                          FieldError* error) {
  const pb::Descriptor& type = *route.method->input_type();
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(&type);
  if (prototype == nullptr) return absl::InternalError("no prototype for " + type.full_name());
  std::unique_ptr<pb::Message> message(prototype->New());

  const absl::string_view trimmed = absl::StripAsciiWhitespace(body);
  if (route.body_is_request && !trimmed.empty()) {
    std::string duplicate;
    json parsed = ParseBody(trimmed, &duplicate);
    if (parsed.is_discarded()) {
      *error = {"", "malformed JSON"};
      return absl::InvalidArgumentError("malformed JSON");
    }
    if (!parsed.is_object()) {
      *error = {"", "the body must be a JSON object"};
      return absl::InvalidArgumentError(error->reason);
    }
    if (!duplicate.empty()) {
      *error = {duplicate, "given twice"};
      return absl::InvalidArgumentError(absl::StrCat(duplicate, ": given twice"));
    }
    FindFieldError(parsed, type, "", error);
    if (!error->field.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(error->field, ": ", error->reason));
    }
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = pb::util::JsonStringToMessage(
        pb::StringPiece(trimmed.data(), trimmed.size()), message.get(), options);
    if (!status.ok()) {
      *error = FromProtobufError(status.message().as_string());
      return absl::InvalidArgumentError(
          error->field.empty() ? error->reason : absl::StrCat(error->field, ": ", error->reason));
    }
  } else if (!route.body_is_request && !trimmed.empty()) {
    *error = {"", "this route takes no body"};
    return absl::InvalidArgumentError(error->reason);
  }

  // The fields the path sets: the query may not name them too (the path's value would win
  // silently, and the caller meant one of the two).
  std::vector<std::pair<const pb::Message*, const pb::FieldDescriptor*>> path_fields;
  for (const auto& [path, value] : path_values) {
    pb::Message* target = message.get();
    for (size_t i = 0; i + 1 < path->fields.size(); ++i) {
      target = target->GetReflection()->MutableMessage(target, path->fields[i]);
    }
    path_fields.emplace_back(target, path->leaf());
  }
  for (const auto& [name, value] : query) {
    if (route.body_is_request) {
      *error = {name, "query parameters are not accepted on this route; use the body"};
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", error->reason));
    }
    const auto [target, field] = ResolveQueryField(*message, name, error);
    if (field == nullptr)
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", error->reason));
    for (size_t i = 0; i < path_fields.size(); ++i) {
      if (path_fields[i].first == target && path_fields[i].second == field) {
        const std::string& named = path_values[i].first->name;
        *error = {named, "is set by the path; don't give it in the query string"};
        return absl::InvalidArgumentError(absl::StrCat(named, ": ", error->reason));
      }
    }
    if (!field->is_repeated() && target->GetReflection()->HasField(*target, field)) {
      *error = {name, "given twice"};
      return absl::InvalidArgumentError(absl::StrCat(name, ": given twice"));
    }
    if (absl::Status s = SetScalar(*target, *field, value, error); !s.ok()) {
      error->field = name;
      return s;
    }
  }

  for (const auto& [path, value] : path_values) {
    pb::Message* target = message.get();
    for (size_t i = 0; i + 1 < path->fields.size(); ++i) {
      target = target->GetReflection()->MutableMessage(target, path->fields[i]);
    }
    if (absl::Status s = SetScalar(*target, *path->leaf(), value, error); !s.ok()) {
      error->field = path->name;
      return s;
    }
    if (!IsPositiveIdOrNoId(*target, *path->leaf())) {
      *error = {path->name, "must be a positive id"};
      return absl::InvalidArgumentError(absl::StrCat(path->name, ": must be a positive id"));
    }
  }
  return message;
}

absl::StatusOr<std::unique_ptr<pb::Message>> ParseResponse(const pb::Descriptor& type,
                                                            const std::string& wire_bytes) {
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(&type);
  if (prototype == nullptr) return absl::InternalError("no prototype for " + type.full_name());
  std::unique_ptr<pb::Message> message(prototype->New());
  if (!message->ParseFromString(wire_bytes)) {
    return absl::InternalError("response of " + type.full_name() + " does not parse");
  }
  return message;
}

namespace {

// The value of the string field `name` of `message`, or "" when it has none.
std::string StringFieldOf(const pb::Message& message, const char* name) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

absl::StatusOr<Download> ResponseToDownload(const Route& route, const std::string& wire_bytes) {
  absl::StatusOr<std::unique_ptr<pb::Message>> message =
      ParseResponse(*route.method->output_type(), wire_bytes);
  if (!message.ok()) return message.status();
  Download download;
  download.body = (*message)->GetReflection()->GetString(**message, route.response_body);
  download.content_type = StringFieldOf(**message, "content_type");
  if (download.content_type.empty()) download.content_type = "application/octet-stream";
  download.file_name = StringFieldOf(**message, "file_name");
  return download;
}

absl::StatusOr<std::string> ResponseToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto status = pb::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return absl::InternalError(status.message().as_string());
  return out;
}

absl::StatusOr<std::string> ResponseToJson(const pb::Descriptor& type,
                                           const std::string& wire_bytes) {
  absl::StatusOr<std::unique_ptr<pb::Message>> message = ParseResponse(type, wire_bytes);
  if (!message.ok()) return message.status();
  return ResponseToJson(**message);
}

}  // namespace jifen::gateway
