#include "services/gateway/http/openapi.h"

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jifen::gateway {
namespace {

namespace pb = google::protobuf;
using nlohmann::json;

std::string Ref(const pb::Descriptor& type) {
  return absl::StrCat("#/components/schemas/", type.full_name());
}

json ScalarSchema(const pb::FieldDescriptor& field) {
  switch (field.type()) {
    case pb::FieldDescriptor::TYPE_INT64:
    case pb::FieldDescriptor::TYPE_SINT64:
    case pb::FieldDescriptor::TYPE_SFIXED64:
      return {{"type", "string"}, {"format", "int64"}};
    case pb::FieldDescriptor::TYPE_UINT64:
    case pb::FieldDescriptor::TYPE_FIXED64:
      return {{"type", "string"}, {"format", "uint64"}};
    case pb::FieldDescriptor::TYPE_INT32:
    case pb::FieldDescriptor::TYPE_SINT32:
    case pb::FieldDescriptor::TYPE_SFIXED32:
      return {{"type", "integer"}, {"format", "int32"}};
    case pb::FieldDescriptor::TYPE_UINT32:
    case pb::FieldDescriptor::TYPE_FIXED32:
      return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}};
    case pb::FieldDescriptor::TYPE_DOUBLE:
      return {{"type", "number"}, {"format", "double"}};
    case pb::FieldDescriptor::TYPE_FLOAT:
      return {{"type", "number"}, {"format", "float"}};
    case pb::FieldDescriptor::TYPE_BOOL:
      return {{"type", "boolean"}};
    case pb::FieldDescriptor::TYPE_STRING:
      return {{"type", "string"}};
    case pb::FieldDescriptor::TYPE_BYTES:
      return {{"type", "string"}, {"format", "byte"}};
    case pb::FieldDescriptor::TYPE_ENUM: {
      json values = json::array();
      for (int i = 0; i < field.enum_type()->value_count(); ++i) {
        values.push_back(field.enum_type()->value(i)->name());
      }
      return {{"type", "string"}, {"enum", values}};
    }
    default:
      return json::object();
  }
}

class SchemaBuilder {
 public:
  explicit SchemaBuilder(json* schemas) : schemas_(*schemas) {}

  void Add(const pb::Descriptor& type) {
    if (!seen_.insert(type.full_name()).second) return;
    if (type.file()->package() == "google.protobuf") {
      schemas_[type.full_name()] = {{"description", "protobuf well-known type " + type.name()}};
      return;
    }
    json properties = json::object();
    for (int i = 0; i < type.field_count(); ++i) {
      const pb::FieldDescriptor& field = *type.field(i);
      properties[field.name()] = FieldSchema(field);
    }
    schemas_[type.full_name()] = {
        {"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
  }

 private:
  json FieldSchema(const pb::FieldDescriptor& field) {
    if (field.is_map()) {
      return {{"type", "object"},
              {"additionalProperties", FieldSchema(*field.message_type()->map_value())}};
    }
    json single;
    if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      Add(*field.message_type());
      single = {{"$ref", Ref(*field.message_type())}};
    } else {
      single = ScalarSchema(field);
    }
    if (field.is_repeated()) return {{"type", "array"}, {"items", single}};
    return single;
  }

  json& schemas_;
  std::set<std::string> seen_;
};

json ErrorResponse(const char* description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json JsonBody(const json& schema) {
  return {{"required", true}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

json TokenPairSchema() {
  return {{"type", "object"},
          {"properties",
           {{"access_token", {{"type", "string"}}},
            {"token_type", {{"type", "string"}, {"enum", {"Bearer"}}}},
            {"expires_in_seconds", {{"type", "integer"}}},
            {"refresh_token", {{"type", "string"}}},
            {"user_id", {{"type", "string"}}},
            {"role", {{"type", "string"}}}}}};
}

void AddGatewayPaths(json& paths) {
  const json ok_tokens = {{"description", "signed in"},
                          {"content", {{"application/json", {{"schema", TokenPairSchema()}}}}}};
  auto string_props = [](std::initializer_list<const char*> names) {
    json properties = json::object();
    for (const char* name : names) properties[name] = {{"type", "string"}};
    return json{{"type", "object"}, {"properties", properties}};
  };
  paths["/v1/auth/staff/login"]["post"] = {
      {"summary", "Staff sign-in with user name and password"},
      {"operationId", "gateway.StaffLogin"},
      {"security", json::array()},
      {"requestBody", JsonBody(string_props({"username", "password"}))},
      {"responses", {{"200", ok_tokens}, {"default", ErrorResponse("error")}}}};
  paths["/v1/auth/wechat/login"]["post"] = {
      {"summary", "Resident sign-in with the wx.login code; invitation_code binds on first use"},
      {"description",
       "Without invitation_code an unbound WeChat user gets 412 ACCOUNT_NOT_BOUND. With it: an "
       "unbound user is bound to the invitation's member (a member has one WeChat binding: one "
       "they had with another WeChat user is released and its sessions end); a user bound to "
       "that member signs in (the invitation is spent on the binding); a user bound to another "
       "member gets 409 ACCOUNT_ALREADY_BOUND, nothing changed and the invitation unspent. "
       "404 INVITATION_INVALID: unknown, expired or spent by another binding."},
      {"operationId", "gateway.WeChatLogin"},
      {"security", json::array()},
      {"requestBody", JsonBody(string_props({"code", "invitation_code"}))},
      {"responses", {{"200", ok_tokens}, {"default", ErrorResponse("error")}}}};
  paths["/v1/auth/refresh"]["post"] = {
      {"summary", "Exchange a refresh token for a new token pair (the old one is spent)"},
      {"operationId", "gateway.Refresh"},
      {"security", json::array()},
      {"requestBody", JsonBody(string_props({"refresh_token"}))},
      {"responses", {{"200", ok_tokens}, {"default", ErrorResponse("error")}}}};
  paths["/v1/auth/logout"]["post"] = {
      {"summary", "Revoke the presented access token and the given refresh token"},
      {"operationId", "gateway.Logout"},
      {"requestBody", JsonBody(string_props({"refresh_token"}))},
      {"responses",
       {{"204", {{"description", "signed out"}}}, {"default", ErrorResponse("error")}}}};
  paths["/v1/auth/invitations"]["post"] = {
      {"summary", "Village admin: a one-time invitation code binding a WeChat user to a member"},
      {"operationId", "gateway.CreateInvitation"},
      {"x-roles", {"village_admin"}},
      {"requestBody", JsonBody({{"type", "object"},
                                {"properties",
                                 {{"household_id", {{"type", "integer"}}},
                                  {"member_id", {{"type", "integer"}}},
                                  {"valid_hours", {{"type", "integer"}}}}}})},
      {"responses",
       {{"200", {{"description", "invitation_code and expires_at_ms"}}},
        {"default", ErrorResponse("error")}}}};
  paths["/v1/auth/staff"]["post"] = {
      {"summary",
       "Create a staff account (village admins: grid workers and assessors of their "
       "village; district officials: any staff role). A grid worker's grid_id must be a grid "
       "of their village (else 400 GRID_NOT_IN_VILLAGE), and the account is made only together "
       "with the grid naming them its worker, all or nothing (else 503 GRID_WORKER_NOT_ASSIGNED "
       "or another 503, or 412 GRID_WORKER_CHANGED when the grid's worker changed meanwhile: "
       "nothing made, the grid keeps its worker; send it again)"},
      {"operationId", "gateway.CreateStaff"},
      {"x-roles", {"village_admin", "district_official"}},
      {"requestBody", JsonBody({{"type", "object"},
                                {"properties",
                                 {{"username", {{"type", "string"}}},
                                  {"password", {{"type", "string"}}},
                                  {"role", {{"type", "string"}}},
                                  {"town_id", {{"type", "integer"}}},
                                  {"village_id", {{"type", "integer"}}},
                                  {"grid_id", {{"type", "integer"}}},
                                  {"team_id", {{"type", "integer"}}}}}})},
      {"responses", {{"200", {{"description", "user_id"}}}, {"default", ErrorResponse("error")}}}};
  const json int64_id = {{"type", "string"}, {"format", "int64"}};
  const json date_time = {{"type", "string"}, {"format", "date-time"}};
  const json binding = {{"type", "object"},
                        {"properties",
                         {{"binding_id", int64_id},
                          {"household_id", int64_id},
                          {"member_id", int64_id},
                          {"bound_at", date_time}}}};
  json released = binding;
  released["properties"]["released_at"] = date_time;
  json listed = binding;
  listed["properties"]["last_active_at"] = {
      {"type", "string"},
      {"description", "date-time of the last sign-in or token refresh; \"\" when none recorded"}};
  auto query = [](const char* name, bool required, const json& schema, const char* what) {
    return json{{"name", name},
                {"in", "query"},
                {"required", required},
                {"schema", schema},
                {"description", what}};
  };
  paths["/v1/auth/wechat-bindings"]["get"] = {
      {"summary",
       "A village's active WeChat bindings: which members sign in with WeChat, since when "
       "(never an openid)"},
      {"description",
       "Village admins read their own village, town officials the villages of their town (as "
       "scoring's registry has them), district roles any; another village is 403 "
       "PERMISSION_DENIED. In binding id order, page_size at a time."},
      {"operationId", "gateway.ListWeChatBindings"},
      {"x-roles", {"village_admin", "town_official", "district_official", "district_inspector"}},
      {"parameters",
       {query("village_id", true, int64_id, "the village"),
        query("household_id", false, int64_id, "only this household's members"),
        query("page_size", false, {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}},
              "1..500; default 100"),
        query("page_token", false, {{"type", "string"}},
              "the previous page's next_page_token; empty for the first page")}},
      {"responses",
       {{"200",
         {{"description", "the page; next_page_token is empty on the last"},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"properties",
                 {{"bindings", {{"type", "array"}, {"items", listed}}},
                  {"next_page_token", {{"type", "string"}}}}}}}}}}}}},
        {"400", ErrorResponse("a query parameter is wrong (field names it)")},
        {"403", ErrorResponse("PERMISSION_DENIED: another village, or a role that may not read")},
        {"default", ErrorResponse("error")}}}};
  paths["/v1/auth/wechat-bindings/{binding_id}/release"]["post"] = {
      {"summary",
       "Village admin: release a binding of their village (a lost phone, a phone bound to the "
       "wrong member)"},
      {"description",
       "As a member's new phone releases their old binding: the phone signs in as no one from "
       "then on (412 ACCOUNT_NOT_BOUND), its refresh tokens are spent and its access tokens "
       "revoked at once; audited with the admin and the reason. A new invitation binds the "
       "member again. 404 BINDING_NOT_FOUND: no such binding in the admin's village; 409 "
       "BINDING_ALREADY_RELEASED: released before; 400 REASON_TOO_LONG: over 500 characters."},
      {"operationId", "gateway.ReleaseWeChatBinding"},
      {"x-roles", {"village_admin"}},
      {"parameters",
       {{{"name", "binding_id"}, {"in", "path"}, {"required", true}, {"schema", int64_id}}}},
      {"requestBody",
       {{"required", false},
        {"content",
         {{"application/json",
           {{"schema",
             {{"type", "object"},
              {"properties", {{"reason", {{"type", "string"}, {"maxLength", 500}}}}}}}}}}}}},
      {"responses",
       {{"200",
         {{"description", "the released binding"},
          {"content", {{"application/json", {{"schema", released}}}}}}},
        {"400", ErrorResponse("binding_id or reason is wrong (field names it)")},
        {"403", ErrorResponse("PERMISSION_DENIED: not a village admin")},
        {"404", ErrorResponse("BINDING_NOT_FOUND")},
        {"409", ErrorResponse("BINDING_ALREADY_RELEASED")},
        {"default", ErrorResponse("error")}}}};
  paths["/v1/photos"]["post"] = {
      {"summary", "Upload one photo (multipart field 'file'); JPEG, PNG or WebP"},
      {"operationId", "gateway.UploadPhoto"},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"multipart/form-data",
           {{"schema",
             {{"type", "object"},
              {"properties", {{"file", {{"type", "string"}, {"format", "binary"}}}}}}}}}}}}},
      {"responses",
       {{"200", {{"description", "photo_ref (sha256 hex), content_type, size_bytes, url"}}},
        {"default", ErrorResponse("error")}}}};
  paths["/v1/photos/{photo_ref}"]["get"] = {
      {"summary", "A stored photo"},
      {"operationId", "gateway.GetPhoto"},
      {"parameters",
       {{{"name", "photo_ref"},
         {"in", "path"},
         {"required", true},
         {"schema", {{"type", "string"}}}}}},
      {"responses",
       {{"200", {{"description", "the image"}}}, {"default", ErrorResponse("error")}}}};
}

// The query parameters of a GET/DELETE route: scalar fields, and those inside singular message
// fields by dotted name ("board.scope"), as the transcoder accepts them.
void AddQueryParameters(const pb::Descriptor& type, const std::string& prefix,
                        const std::set<const pb::FieldDescriptor*>& in_path, int depth,
                        json& parameters) {
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor& field = *type.field(i);
    if (in_path.count(&field) != 0) continue;
    const std::string name = prefix + field.name();
    if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      // Depth bounds recursive message types; well-known types are not spelled out field by field.
      if (!field.is_repeated() && depth < 3 &&
          field.message_type()->file()->package() != "google.protobuf") {
        AddQueryParameters(*field.message_type(), name + ".", in_path, depth + 1, parameters);
      }
      continue;
    }
    json schema = ScalarSchema(field);
    if (field.is_repeated()) schema = {{"type", "array"}, {"items", schema}};
    parameters.push_back(
        {{"name", name}, {"in", "query"}, {"required", false}, {"schema", schema}});
  }
}

}  // namespace

std::string GenerateOpenApi(const RouteTable& routes) {
  json schemas = json::object();
  schemas["Error"] = {{"type", "object"},
                      {"required", {"code", "message", "request_id"}},
                      {"properties",
                       {{"code",
                         {{"type", "string"},
                          {"description",
                           "stable identifier to branch on: a domain code (e.g. SOLD_OUT) or the "
                           "gRPC code name, one code per meaning; a refusal of permission is "
                           "PERMISSION_DENIED"}}},
                        {"message", {{"type", "string"}, {"description", "Chinese, for users"}}},
                        {"request_id", {{"type", "string"}}},
                        {"field",
                         {{"type", "string"},
                          {"description", "the request field a 400 is about, when it names one"}}},
                        {"detail",
                         {{"type", "string"},
                          {"description",
                           "the service's explanation, for input the caller can correct "
                           "(400, 409, 412); English, at most 300 bytes"}}}}}};
  SchemaBuilder builder(&schemas);
  json paths = json::object();
  for (const Route& route : routes.routes()) {
    const pb::Descriptor& input = *route.method->input_type();
    const pb::Descriptor& output = *route.method->output_type();
    builder.Add(input);
    builder.Add(output);
    json parameters = json::array();
    std::set<const pb::FieldDescriptor*> in_path;
    for (const PathSegment& segment : route.segments) {
      if (!segment.is_field()) continue;
      in_path.insert(segment.field.leaf());
      parameters.push_back({{"name", segment.field.name},
                            {"in", "path"},
                            {"required", true},
                            {"schema", ScalarSchema(*segment.field.leaf())}});
    }
    json operation = {
        {"operationId", route.method->full_name()},
        {"tags", {route.backend}},
        {"x-roles", route.roles},
        {"summary",
         absl::StrCat(route.method->name(), " (roles: ", absl::StrJoin(route.roles, ", "), ")")}};
    if (route.body_is_request) {
      operation["requestBody"] = JsonBody({{"$ref", Ref(input)}});
    } else {
      AddQueryParameters(input, "", in_path, /*depth=*/0, parameters);
    }
    if (!parameters.empty()) operation["parameters"] = parameters;
    json ok_content =
        route.response_body != nullptr
            ? json{{"application/octet-stream",
                    {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}
            : json{{"application/json", {{"schema", {{"$ref", Ref(output)}}}}}};
    std::string ok_description =
        route.response_body != nullptr
            ? "the file itself (Content-Type and Content-Disposition say which)"
            : "OK";
    if (route.server_streaming) {
      // OpenAPI 3.0 has no way to type the events; x-event-data names the message each carries.
      ok_content = {{"text/event-stream",
                     {{"schema", {{"type", "string"}}}, {"x-event-data", {{"$ref", Ref(output)}}}}}};
      ok_description = absl::StrCat(
          "Server-Sent Events until the client disconnects or the stream ends (at most the "
          "gateway's --stream_max_duration; reconnect then). Each message: ",
          route.event_id != nullptr ? absl::StrCat("\"id: <", route.event_id->name(), ">\" and ")
                                    : "",
          "\"data: <JSON of ", output.full_name(),
          ">\". A comment line \": keep-alive\" when quiet. A failure after the stream began: "
          "\"event: error\" with data {code, message, request_id}, then the end. Errors before "
          "the stream begins are ordinary JSON errors.");
      operation["x-server-streaming"] = true;
    }
    operation["responses"] = {
        {"200", {{"description", ok_description}, {"content", ok_content}}},
        {"400", ErrorResponse("invalid request (field names the problem)")},
        {"401", ErrorResponse("missing or invalid token")},
        {"403",
         ErrorResponse("role or scope not allowed (code PERMISSION_DENIED); ROLE_NOT_ALLOWED: "
                       "the rulebook gives the item to other roles")},
        {"404", ErrorResponse("no such object, or not in the caller's scope")},
        {"409", ErrorResponse("conflict: same key with a different payload, or retry")},
        {"412", ErrorResponse("the object's state does not allow this (code says which)")},
        {"411", ErrorResponse("LENGTH_REQUIRED: send the body with Content-Length, not chunked")},
        {"413", ErrorResponse("request body too large")},
        {"415", ErrorResponse("JSON_REQUIRED: the body must be application/json; "
                              "CONTENT_ENCODING_UNSUPPORTED: send the body uncompressed")},
        {"429", ErrorResponse("rate limited; see Retry-After")},
        {"default", ErrorResponse("error")}};
    if (route.server_streaming) {
      operation["responses"]["503"] = ErrorResponse(
          "TOO_MANY_STREAMS: every event-stream slot is taken, see Retry-After; or the service is "
          "unavailable");
    }
    std::string method = route.http_method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    paths[route.path_template][method] = operation;
  }
  AddGatewayPaths(paths);
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Jifen API (闵行区农村人居环境积分制)"},
        {"version", "v1"},
        {"description",
         "HTTP/JSON over the Jifen services. Bodies use protobuf's JSON mapping with proto field "
         "names; 64-bit integers are JSON strings (numbers are accepted on input). Errors are "
         "{code, message, request_id}."}}},
      {"components",
       {{"schemas", schemas},
        {"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
      {"security", {{{"bearer", json::array()}}}},
      {"paths", paths}};
  return doc.dump(1);
}

}  // namespace jifen::gateway
