// The OpenAPI 3.0 description of the gateway, generated from the same routes the router serves
// (so it can't drift from them), plus the gateway's own endpoints (login, photos).
#pragma once

#include <string>

#include "services/gateway/http/route_table.h"

namespace jifen::gateway {

// A JSON document. Message schemas follow protobuf's JSON mapping with proto field names: 64-bit
// integers are strings, enums their value names, bytes base64.
std::string GenerateOpenApi(const RouteTable& routes);

}  // namespace jifen::gateway
