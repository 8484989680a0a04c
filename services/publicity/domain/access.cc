#include "services/publicity/domain/access.h"

#include "absl/strings/str_cat.h"

namespace jifen::publicity {
namespace {

absl::Status Denied(const auth::Caller& caller, absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat(auth::RoleName(caller.role), " may not ", what));
}

}  // namespace

absl::Status CheckVillageRead(const auth::Caller& caller, int64_t village_id,
                              VillageDirectory& villages) {
  if (caller.IsDistrict() || caller.IsService()) return absl::OkStatus();
  switch (caller.role) {
    case auth::Role::kResident:
    case auth::Role::kGridWorker:
    case auth::Role::kAssessor:
    case auth::Role::kVillageAdmin:
      if (caller.village_id != 0 && caller.village_id == village_id) return absl::OkStatus();
      return Denied(caller, absl::StrCat("read village ", village_id));
    case auth::Role::kTownOfficial: {
      absl::StatusOr<int64_t> town = villages.TownOf(village_id);
      if (absl::IsNotFound(town.status())) return Denied(caller, "read an unknown village");
      if (!town.ok()) return town.status();
      if (caller.town_id != 0 && *town == caller.town_id) return absl::OkStatus();
      return Denied(caller, absl::StrCat("read village ", village_id, " of another town"));
    }
    default:
      return Denied(caller, "read boards");
  }
}

absl::Status CheckVillageAdmin(const auth::Caller& caller, int64_t village_id) {
  if (caller.role == auth::Role::kVillageAdmin && caller.village_id != 0 &&
      caller.village_id == village_id) {
    return absl::OkStatus();
  }
  return Denied(caller, absl::StrCat("administer village ", village_id));
}

absl::Status CheckBoardRead(const auth::Caller& caller, const BoardKey& key,
                            VillageDirectory& villages) {
  switch (key.scope) {
    case BoardScope::kVillage:
    case BoardScope::kGroup:
      return CheckVillageRead(caller, key.village_id, villages);
    case BoardScope::kTown:
      if (caller.IsDistrict() || caller.IsService()) return absl::OkStatus();
      if (caller.role == auth::Role::kTownOfficial && caller.town_id == key.town_id) {
        return absl::OkStatus();
      }
      return Denied(caller, absl::StrCat("read the board of town ", key.town_id));
    case BoardScope::kDistrict:
      if (caller.IsDistrict() || caller.IsService() || caller.role == auth::Role::kTownOfficial) {
        return absl::OkStatus();
      }
      return Denied(caller, "read the district board");
  }
  return Denied(caller, "read this board");
}

absl::Status CheckReconcile(const auth::Caller& caller, int64_t village_id) {
  if (caller.IsDistrict() || caller.IsService()) return absl::OkStatus();
  return CheckVillageAdmin(caller, village_id);
}

}  // namespace jifen::publicity
