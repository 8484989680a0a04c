#include "services/gateway/http/route_table.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor_database.h"
#include "jifen/api/v1/http.pb.h"

namespace jifen::gateway {

// Generated (linked_protos.cc): references every proto file so that the linker keeps them all.
std::vector<const void*> LinkedProtoFiles();

namespace {

namespace pb = google::protobuf;

bool IsPathScalar(const pb::FieldDescriptor& field) {
  if (field.is_repeated() || field.containing_oneof() != nullptr) return false;
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return field.type() != pb::FieldDescriptor::TYPE_BYTES;
    default:
      return false;
  }
}

absl::StatusOr<Route> MakeRoute(const pb::MethodDescriptor& method, const api::v1::HttpRule& rule) {
  const std::string where = absl::StrCat("rpc ", method.full_name(), ": ");
  Route route;
  route.method = &method;
  route.http_method = rule.method();
  route.path_template = rule.path();
  route.roles.assign(rule.roles().begin(), rule.roles().end());
  route.grpc_method = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  route.backend = BackendOfPackage(method.file()->package());
  if (route.backend.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "package is not jifen.<service>.v<N>"));
  }
  if (method.client_streaming()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "client-streaming and bidirectional RPCs can't have a route"));
  }
  static const std::set<std::string> kMethods = {"GET", "POST", "PUT", "DELETE"};
  if (kMethods.count(route.http_method) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, "bad HTTP method ", route.http_method));
  }
  // A stream is read, not changed, and an EventSource can only GET.
  route.server_streaming = method.server_streaming();
  if (route.server_streaming && route.http_method != "GET") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "a server-streaming RPC's route must be GET"));
  }
  if (!rule.event_id().empty()) {
    if (!route.server_streaming) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "event_id is for server-streaming RPCs only"));
    }
    route.event_id = method.output_type()->FindFieldByName(rule.event_id());
    if (route.event_id == nullptr || route.event_id->is_repeated() ||
        (route.event_id->cpp_type() != pb::FieldDescriptor::CPPTYPE_INT64 &&
         route.event_id->cpp_type() != pb::FieldDescriptor::CPPTYPE_INT32 &&
         route.event_id->cpp_type() != pb::FieldDescriptor::CPPTYPE_UINT64 &&
         route.event_id->cpp_type() != pb::FieldDescriptor::CPPTYPE_UINT32)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "event_id ", rule.event_id(), " is not an integer field of the message"));
    }
  }
  if (rule.body() == "*") {
    if (route.http_method == "GET" || route.http_method == "DELETE") {
      return absl::InvalidArgumentError(absl::StrCat(where, "body \"*\" on ", route.http_method));
    }
    route.body_is_request = true;
  } else if (!rule.body().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "body must be \"*\" or empty"));
  }
  if (route.roles.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "an http option needs roles"));
  }
  if (!rule.response_body().empty()) {
    if (route.server_streaming) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "response_body can't be used on a server-streaming RPC"));
    }
    route.response_body = method.output_type()->FindFieldByName(rule.response_body());
    if (route.response_body == nullptr || route.response_body->is_repeated() ||
        route.response_body->type() != pb::FieldDescriptor::TYPE_BYTES) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "response_body ", rule.response_body(), " is not a bytes field of the response"));
    }
  }
  if (!absl::StartsWith(route.path_template, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(where, "path must start with /"));
  }
  const pb::Descriptor& input = *method.input_type();
  std::set<std::string> bound;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(route.path_template).substr(1), '/')) {
    PathSegment segment;
    if (absl::StartsWith(part, "{") && absl::EndsWith(part, "}")) {
      const std::string name(part.substr(1, part.size() - 2));
      segment.field.name = name;
      const pb::Descriptor* type = &input;
      for (absl::string_view piece : absl::StrSplit(name, '.')) {
        const pb::FieldDescriptor* field =
            type == nullptr ? nullptr : type->FindFieldByName(std::string(piece));
        if (field == nullptr || field->is_repeated()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, "{", name, "} is not a singular field of the request"));
        }
        segment.field.fields.push_back(field);
        type = field->message_type();
      }
      if (!IsPathScalar(*segment.field.leaf())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "{", name, "} is not an integer or string field"));
      }
      if (!bound.insert(name).second) {
        return absl::InvalidArgumentError(absl::StrCat(where, "{", name, "} appears twice"));
      }
    } else if (part.empty() || absl::StrContains(part, "{") || absl::StrContains(part, "}")) {
      return absl::InvalidArgumentError(absl::StrCat(where, "bad path segment '", part, "'"));
    } else {
      segment.literal = std::string(part);
    }
    route.segments.push_back(std::move(segment));
  }
  return route;
}

// Literal segments before fields, left to right; then the template text, for a stable order.
bool MoreSpecific(const Route& a, const Route& b) {
  const size_t n = std::min(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < n; ++i) {
    const bool a_literal = !a.segments[i].is_field();
    const bool b_literal = !b.segments[i].is_field();
    if (a_literal != b_literal) return a_literal;
  }
  if (a.segments.size() != b.segments.size()) return a.segments.size() > b.segments.size();
  if (a.path_template != b.path_template) return a.path_template < b.path_template;
  return a.http_method < b.http_method;
}

std::string Shape(const Route& route) {
  std::vector<std::string> parts;
  for (const PathSegment& segment : route.segments) {
    parts.push_back(segment.is_field() ? "{}" : segment.literal);
  }
  return absl::StrCat(route.http_method, " /", absl::StrJoin(parts, "/"));
}

}  // namespace

std::string BackendOfPackage(absl::string_view package) {
  std::vector<absl::string_view> parts = absl::StrSplit(package, '.');
  if (parts.size() != 3 || parts[0] != "jifen" || parts[1].empty()) return "";
  if (parts[2].size() < 2 || parts[2][0] != 'v') return "";
  return std::string(parts[1]);
}

absl::StatusOr<RouteTable> RouteTable::FromGeneratedPool() {
  // The generated database knows every file linked into this binary (LinkedProtoFiles keeps them
  // all linked); the pool itself can't be enumerated.
  static const size_t linked = LinkedProtoFiles().size();
  (void)linked;
  std::vector<std::string> names;
  pb::DescriptorPool::internal_generated_database()->FindAllFileNames(&names);
  std::sort(names.begin(), names.end());
  std::vector<const pb::FileDescriptor*> files;
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, "jifen/")) continue;
    const pb::FileDescriptor* file = pb::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file != nullptr) files.push_back(file);
  }
  return FromFiles(files);
}

absl::StatusOr<RouteTable> RouteTable::FromFiles(
    const std::vector<const pb::FileDescriptor*>& files) {
  RouteTable table;
  for (const pb::FileDescriptor* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      const pb::ServiceDescriptor& service = *file->service(s);
      for (int m = 0; m < service.method_count(); ++m) {
        const pb::MethodDescriptor& method = *service.method(m);
        if (!method.options().HasExtension(api::v1::http)) continue;
        absl::StatusOr<Route> route =
            MakeRoute(method, method.options().GetExtension(api::v1::http));
        if (!route.ok()) {
          table.problems_.push_back(std::string(route.status().message()));
          continue;
        }
        table.routes_.push_back(*std::move(route));
      }
    }
  }
  std::sort(table.routes_.begin(), table.routes_.end(), MoreSpecific);
  std::set<std::string> shapes;
  std::vector<Route> unique;
  for (Route& route : table.routes_) {
    if (!shapes.insert(Shape(route)).second) {
      table.problems_.push_back(absl::StrCat("rpc ", route.method->full_name(), ": ", Shape(route),
                                             " is already routed"));
      continue;
    }
    unique.push_back(std::move(route));
  }
  table.routes_ = std::move(unique);
  return table;
}

const Route* RouteTable::Match(absl::string_view http_method, absl::string_view path,
                               PathValues* values, bool* method_allowed) const {
  *method_allowed = true;
  if (!absl::ConsumePrefix(&path, "/")) return nullptr;
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  bool path_matched = false;
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    PathValues bound;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const PathSegment& segment = route.segments[i];
      if (!segment.is_field()) {
        ok = parts[i] == segment.literal;
      } else if (parts[i].empty()) {
        ok = false;
      } else {
        bound.emplace_back(&segment.field, std::string(parts[i]));
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (route.http_method != http_method) continue;
    *values = std::move(bound);
    return &route;
  }
  *method_allowed = !path_matched;
  return nullptr;
}

}  // namespace jifen::gateway
