// The HTTP forms of the WeChat binding routes (GET /v1/auth/wechat-bindings and
// POST /v1/auth/wechat-bindings/{binding_id}/release): the list's query parameters, and the JSON
// of bindings. The rules are ResidentBindings'; the handlers are GatewayServer's.
//
// JSON as the routed API's (protobuf's mapping): 64-bit ids are strings, and every field is
// printed. Times are RFC 3339 in Asia/Shanghai ("2026-03-01T09:30:00.123+08:00").
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/auth/resident_bindings.h"
#include "services/gateway/http/transcoder.h"

namespace jifen::gateway {

// The list's path, and whether `path` is a binding's release ("<kBindingsPath>/<segment>/release"),
// for the Allow header of a 405.
inline constexpr char kBindingsPath[] = "/v1/auth/wechat-bindings";
bool IsBindingReleasePath(absl::string_view path);

// An id as a path names one object: decimal digits only, positive, within int64. " 1", "+1", "0"
// and "-3" are refused as the routed paths refuse them (transcoder.h); "01" too, so that one
// binding has one spelling.
bool ParsePathId(absl::string_view text, int64_t* id);

// The list's query: village_id (required), household_id, page_size, page_token. INVALID_ARGUMENT
// with `error` naming the parameter for an unknown one, one given twice, or a value that is not
// an id or a page size (1..kBindingPageSizeMax). ResidentBindings checks the query again.
absl::StatusOr<BindingQuery> BindingQueryOf(const QueryParams& params, FieldError* error);

// {"bindings": [{binding_id, household_id, member_id, bound_at, last_active_at}...],
// "next_page_token"}; last_active_at is "" when no sign-in is recorded.
std::string BindingPageJson(const BindingPage& page);
// {binding_id, household_id, member_id, bound_at, released_at} of a released binding.
std::string ReleasedBindingJson(const BoundMember& binding);

}  // namespace jifen::gateway
