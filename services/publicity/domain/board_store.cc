#include "services/publicity/domain/board_store.h"

#include "absl/strings/str_cat.h"

namespace jifen::publicity {

absl::Status ValidateBoardKey(const BoardKey& key) {
  switch (key.scope) {
    case BoardScope::kGroup:
      if (key.group_id <= 0) return absl::InvalidArgumentError("group_id is required");
      [[fallthrough]];
    case BoardScope::kVillage:
      if (key.village_id <= 0) return absl::InvalidArgumentError("village_id is required");
      return absl::OkStatus();
    case BoardScope::kTown:
      if (key.town_id <= 0) return absl::InvalidArgumentError("town_id is required");
      [[fallthrough]];
    case BoardScope::kDistrict:
      if (key.period.is_quarter()) {
        return absl::InvalidArgumentError("town and district boards are yearly: period YYYY");
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown board scope");
}

std::string DescribeBoard(const BoardKey& key) {
  const std::string period = key.period.Name();
  switch (key.scope) {
    case BoardScope::kVillage:
      return absl::StrCat("village ", key.village_id, " ", period);
    case BoardScope::kGroup:
      return absl::StrCat("village ", key.village_id, " group ", key.group_id, " ", period);
    case BoardScope::kTown:
      return absl::StrCat("town ", key.town_id, " ", period);
    case BoardScope::kDistrict:
      return absl::StrCat("district ", period);
  }
  return "?";
}

}  // namespace jifen::publicity
