// Who may read what: the villages a caller's request covers.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/caller.h"

namespace jifen::audit {

// The audit service's copy of village -> town (RegisterVillage).
class VillageDirectory {
 public:
  virtual ~VillageDirectory() = default;
  // nullopt for an unknown village.
  virtual absl::StatusOr<std::optional<int64_t>> TownOf(int64_t village_id) = 0;
  virtual absl::StatusOr<std::vector<int64_t>> VillagesOf(int64_t town_id) = 0;
};

// The villages a read may cover. An empty vector with OK means "every village" (district roles
// asking for village 0). Village admins: only their own village; town officials: villages of
// their town (village 0: all of them); district roles: any. PERMISSION_DENIED otherwise (the
// message does not reveal whether a foreign village exists).
absl::StatusOr<std::vector<int64_t>> ReadableVillages(const auth::Caller& caller,
                                                      int64_t village_id,
                                                      VillageDirectory& directory);

// OK when the caller may read (and, for village admins, act on) `village_id`.
absl::Status CheckVillageAccess(const auth::Caller& caller, int64_t village_id,
                                VillageDirectory& directory);

}  // namespace jifen::audit
