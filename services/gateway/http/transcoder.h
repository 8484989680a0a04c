// HTTP request parts -> the RPC's request message, and response bytes -> JSON, by protobuf's JSON
// mapping. Errors name the offending field so that a client developer can fix the request.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/http/route_table.h"

namespace jifen::gateway {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// A request error the client must fix: which field (JSON path, e.g. "outcomes[0].item_code"; empty
// when the whole body is wrong) and why, in English for logs.
struct FieldError {
  std::string field;
  std::string reason;
};

// Builds the request message of `route`. The body (JSON, for body "*" routes) is read first, then
// query parameters (GET/DELETE: scalar or repeated scalar fields by proto or JSON name, dotted for
// fields inside singular message fields, e.g. "board.scope"),
// then path values, which override both. INVALID_ARGUMENT with a FieldError for malformed JSON,
// unknown fields, wrong types, out-of-range numbers, unknown enum names, and a body or query on a
// route that takes none.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const Route& route, const PathValues& path_values, const QueryParams& query,
    absl::string_view body, FieldError* error);

// A response message of `type` given in wire format; INTERNAL if the bytes don't parse.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseResponse(
    const google::protobuf::Descriptor& type, const std::string& wire_bytes);

// The JSON of a response message: proto field names, every field printed (zeros included) so a
// client never meets a missing key.
absl::StatusOr<std::string> ResponseToJson(const google::protobuf::Message& message);
// The same of one given in wire format. INTERNAL if the bytes don't parse.
absl::StatusOr<std::string> ResponseToJson(const google::protobuf::Descriptor& type,
                                           const std::string& wire_bytes);

// A download route's answer (http.proto, response_body): the bytes to send as the body, and the
// response's content_type and file_name fields when it has them.
struct Download {
  std::string body;
  std::string content_type;  // application/octet-stream when the response names none
  std::string file_name;     // empty: no Content-Disposition
};
absl::StatusOr<Download> ResponseToDownload(const Route& route, const std::string& wire_bytes);

}  // namespace jifen::gateway
