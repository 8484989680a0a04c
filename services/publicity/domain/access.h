// Object-level access: who may read or change what. Roles are checked again here even though the
// gateway filters them, because a call may come straight to the service port.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "common/auth/caller.h"
#include "services/publicity/domain/board_store.h"
#include "services/publicity/domain/ports.h"

namespace jifen::publicity {

// Residents, grid workers, assessors and admins of the village; town officials of its town;
// district roles and services. PERMISSION_DENIED otherwise.
absl::Status CheckVillageRead(const auth::Caller& caller, int64_t village_id,
                              VillageDirectory& villages);

// Village admins of the village. PERMISSION_DENIED otherwise.
absl::Status CheckVillageAdmin(const auth::Caller& caller, int64_t village_id);

// Village and group boards as CheckVillageRead; a town board for its town officials, district
// roles and services; the district board for town officials, district roles and services.
absl::Status CheckBoardRead(const auth::Caller& caller, const BoardKey& key,
                            VillageDirectory& villages);

// Village admins of the village, district roles and services.
absl::Status CheckReconcile(const auth::Caller& caller, int64_t village_id);

}  // namespace jifen::publicity
