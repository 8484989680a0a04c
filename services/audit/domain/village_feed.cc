#include "services/audit/domain/village_feed.h"

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace jifen::audit {

std::optional<VillageInfo> VillageFromRecord(const TrailRecord& record) {
  if (record.source_service != "scoring" || record.action != "create_village" ||
      record.object_type != "village") {
    return std::nullopt;
  }
  VillageInfo village;
  if (!absl::SimpleAtoi(record.object_id, &village.village_id) || village.village_id <= 0) {
    return std::nullopt;
  }
  // "town_id=3 name=革新村": the name is last and may contain spaces.
  absl::string_view after = record.after;
  if (!absl::ConsumePrefix(&after, "town_id=")) return std::nullopt;
  const size_t space = after.find(" name=");
  if (space == absl::string_view::npos) return std::nullopt;
  if (!absl::SimpleAtoi(after.substr(0, space), &village.town_id) || village.town_id <= 0) {
    return std::nullopt;
  }
  village.name = std::string(after.substr(space + 6));
  return village;
}

}  // namespace jifen::audit
