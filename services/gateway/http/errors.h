// What a client sees when a call fails: an HTTP status, a stable English code to branch on, and a
// Chinese message for the person holding the phone. One code per meaning: a refusal of permission
// is PERMISSION_DENIED (services put a domain code on a 403 only when it means something else:
// ROLE_NOT_ALLOWED, the rulebook item is other roles' to score). The service's own text
// reaches the client only as `detail`, and only for input the caller can correct (400, 409, 412):
// which field, which date, which limit. Denials, not-found, rate limits and server-side failures
// carry no service text.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::gateway {

struct HttpError {
  int http_status = 500;
  std::string code;     // e.g. "WALLET_INSUFFICIENT", "NOT_FOUND"
  std::string message;  // Chinese
  std::string detail;   // the service's explanation for correctable input; may be empty
  std::string field;    // the request field a 400 is about ("village_id"); may be empty
};

// The HTTP status of a gRPC/absl code.
int HttpStatusOf(absl::StatusCode code);

// Maps a failed status from a service (or the gateway itself). The code is the service message's
// leading identifier ("WALLET_INSUFFICIENT: ...": [A-Z][A-Z0-9_]+ then ':') when there is one and
// the status is not an internal one, else the status code's name. The message comes from a table
// of known codes, else from the status code. An INVALID_ARGUMENT or OUT_OF_RANGE whose text (after
// the code) starts with a field name ("village_id: ...", "valid_hours must ...") names that field.
HttpError MapStatus(const absl::Status& status);

// Whether `code` (e.g. "SOLD_OUT") has its own Chinese message rather than its status code's.
bool HasChineseMessage(absl::string_view code);

// A gateway-made error with a fixed code, e.g. MakeError(413, "PAYLOAD_TOO_LARGE").
HttpError MakeError(int http_status, absl::string_view code);

// The body {"code","message","request_id"} (plus "field" and "detail" when non-empty); `field`
// when given overrides error.field.
std::string ErrorBody(const HttpError& error, absl::string_view request_id,
                      absl::string_view field = "");

}  // namespace jifen::gateway
