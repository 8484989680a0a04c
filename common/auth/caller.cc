#include "common/auth/caller.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace jifen::auth {
namespace {

constexpr std::array<std::pair<Role, absl::string_view>, 8> kRoleNames = {{
    {Role::kResident, "resident"},
    {Role::kGridWorker, "grid_worker"},
    {Role::kAssessor, "assessor"},
    {Role::kVillageAdmin, "village_admin"},
    {Role::kTownOfficial, "town_official"},
    {Role::kDistrictOfficial, "district_official"},
    {Role::kDistrictInspector, "district_inspector"},
    {Role::kService, "service"},
}};

}  // namespace

absl::string_view RoleName(Role role) {
  for (const auto& [candidate, name] : kRoleNames) {
    if (candidate == role) return name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const auto& [role, candidate] : kRoleNames) {
    if (candidate == name) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown role \"", name, "\""));
}

}  // namespace jifen::auth
