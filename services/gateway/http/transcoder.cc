#include "services/gateway/http/transcoder.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// Protobuf's parser names only the first problem and not always the path; walking the JSON against
// the descriptor first gives every unknown field its full path.
void FindUnknownField(const json& value, const pb::Descriptor& type, const std::string& path,
                      FieldError* error) {
  if (!value.is_object() || IsWellKnown(type)) return;
  for (auto it = value.begin(); it != value.end() && error->field.empty(); ++it) {
    const std::string here = path.empty() ? it.key() : absl::StrCat(path, ".", it.key());
    const pb::FieldDescriptor* field = FindField(type, it.key());
    if (field == nullptr) {
      *error = {here, "unknown field"};
      return;
    }
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_map()) {
      const pb::FieldDescriptor* map_value = field->message_type()->map_value();
      if (map_value->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || !it->is_object()) {
        continue;
      }
      for (auto entry = it->begin(); entry != it->end(); ++entry) {
        FindUnknownField(*entry, *map_value->message_type(),
                         absl::StrCat(here, "[\"", entry.key(), "\"]"), error);
      }
    } else if (field->is_repeated() && it->is_array()) {
      for (size_t i = 0; i < it->size() && error->field.empty(); ++i) {
        FindUnknownField((*it)[i], *field->message_type(), absl::StrCat(here, "[", i, "]"), error);
      }
    } else {
      FindUnknownField(*it, *field->message_type(), here, error);
    }
  }
}

// Protobuf 3.21 reports e.g. "(household_id): invalid value "x" for type TYPE_INT64"; the field in
// parentheses is what the client needs.
FieldError FromProtobufError(absl::string_view message) {
  FieldError error;
  const size_t open = message.find('(');
  const size_t close = message.find("):", open == absl::string_view::npos ? 0 : open);
  if (open != absl::string_view::npos && close != absl::string_view::npos) {
    error.field = std::string(message.substr(open + 1, close - open - 1));
    error.reason = std::string(absl::StripAsciiWhitespace(message.substr(close + 2)));
  } else {
    error.reason = std::string(message);
  }
  return error;
}

absl::Status SetScalar(pb::Message& message, const pb::FieldDescriptor& field,
                       const std::string& text, FieldError* error) {
  const pb::Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  auto fail = [&](absl::string_view why) {
    *error = {field.name(), std::string(why)};
    return absl::InvalidArgumentError(absl::StrCat(field.name(), ": ", why));
  };
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
      const pb::EnumValueDescriptor* value = field.enum_type()->FindValueByName(text);
      if (value == nullptr) return fail("unknown enum value");
      repeated ? reflection.AddEnum(&message, &field, value)
               : reflection.SetEnum(&message, &field, value);
      return absl::OkStatus();
    }
    default:
      return fail("can't be given in the query string");
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
    json parsed = json::parse(trimmed.begin(), trimmed.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      *error = {"", "malformed JSON"};
      return absl::InvalidArgumentError("malformed JSON");
    }
    if (!parsed.is_object()) {
      *error = {"", "the body must be a JSON object"};
      return absl::InvalidArgumentError(error->reason);
    }
    FindUnknownField(parsed, type, "", error);
    if (!error->field.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(error->field, ": ", error->reason));
    }
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = pb::util::JsonStringToMessage(
        pb::StringPiece(trimmed.data(), trimmed.size()), message.get(), options);
    if (!status.ok()) {
      *error = FromProtobufError(status.message().as_string());
      return absl::InvalidArgumentError(absl::StrCat(error->field, ": ", error->reason));
    }
  } else if (!route.body_is_request && !trimmed.empty()) {
    *error = {"", "this route takes no body"};
    return absl::InvalidArgumentError(error->reason);
  }

  for (const auto& [name, value] : query) {
    if (route.body_is_request) {
      *error = {name, "query parameters are not accepted on this route; use the body"};
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", error->reason));
    }
    const auto [target, field] = ResolveQueryField(*message, name, error);
    if (field == nullptr)
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", error->reason));
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
  }
  return message;
}

namespace {

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

absl::StatusOr<std::string> ResponseToJson(const pb::Descriptor& type,
                                           const std::string& wire_bytes) {
  absl::StatusOr<std::unique_ptr<pb::Message>> message = ParseResponse(type, wire_bytes);
  if (!message.ok()) return message.status();
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto status = pb::util::MessageToJsonString(**message, &out, options);
  if (!status.ok()) return absl::InternalError(status.message().as_string());
  return out;
}

}  // namespace jifen::gateway
