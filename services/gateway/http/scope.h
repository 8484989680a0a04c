// The gateway's coarse scope check, before forwarding: a request that names a village, town or
// household outside the caller's token is refused here (403) without reaching a service. The
// services still check object scope themselves (a household id says nothing about its grid); this
// only stops the obvious cases early and uniformly, for every route, from the field names alone.
#pragma once

#include "absl/status/status.h"
#include "common/auth/caller.h"
#include "google/protobuf/message.h"

namespace jifen::gateway {

// Looks at the request's top-level fields and those of its singular message fields, by name:
//   village_id   must equal the caller's village for village-bound roles (resident, grid worker,
//                assessor, village admin)
//   household_id must equal the caller's household for residents
//   town_id      must equal the caller's town for town officials
// Zero means "not given" and passes. District roles and services pass. PERMISSION_DENIED naming
// the field otherwise.
absl::Status CheckScope(const auth::Caller& caller, const google::protobuf::Message& request);

}  // namespace jifen::gateway
