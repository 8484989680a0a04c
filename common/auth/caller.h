// Who is calling: the verified identity a token carries. Plain data, so domain code can decide
// object-level access without knowing about tokens or gRPC.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::auth {

enum class Role {
  kResident,           // a household member, via the mini-program
  kGridWorker,         // 网格员: households of one grid
  kAssessor,           // 积分考核小组成员: households of the groups their team covers
  kVillageAdmin,       // 村管理员: one village
  kTownOfficial,       // 街镇: reads the villages of one town
  kDistrictOfficial,   // 区级: reads everything
  kDistrictInspector,  // 区级巡查: reads everything, records supervision
  kService,            // another service of this system
};

absl::string_view RoleName(Role role);                       // "resident", "grid_worker", ...
absl::StatusOr<Role> ParseRole(absl::string_view name);     // INVALID_ARGUMENT if unknown

struct Caller {
  std::string user_id;  // account id; for services the service name ("redemption")
  Role role = Role::kResident;
  // Scope. 0 means "not bound to one". Which fields are set depends on the role: a resident has
  // village and household, a grid worker village and grid, an assessor village and team, a village
  // admin village, a town official town; district roles and services have none.
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t grid_id = 0;
  int64_t household_id = 0;
  int64_t team_id = 0;
  std::string token_id;  // jti, for revocation and logs
  // Not from the token: the id of the request being served (the x-request-id the call carried, or
  // the one made up for it), as grpc_util::CallHandler logs it and sets it before the handler's
  // body runs. Audit records carry it so that the trail joins the logs. Empty outside a request.
  std::string request_id;

  bool IsDistrict() const {
    return role == Role::kDistrictOfficial || role == Role::kDistrictInspector;
  }
  bool IsService() const { return role == Role::kService; }
};

}  // namespace jifen::auth
