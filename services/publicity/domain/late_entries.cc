#include "services/publicity/domain/late_entries.h"

#include <map>
#include <utility>

#include "services/publicity/domain/period.h"

namespace jifen::publicity {

bool IsObjectable(const BoardEntry& entry) {
  return entry.score_account && entry.reverses_sequence == 0;
}

std::vector<WindowDeadline> DeadlinesOf(const std::vector<BoardEntry>& batch,
                                        absl::Duration min_time_to_object) {
  std::map<std::pair<int64_t, std::string>, WindowDeadline> latest;
  for (const BoardEntry& entry : batch) {
    if (!IsObjectable(entry) || entry.recorded_at_ms <= 0 || !ParseQuarter(entry.period).ok()) {
      continue;
    }
    const absl::Time recorded_at = absl::FromUnixMillis(entry.recorded_at_ms);
    auto [it, inserted] = latest.try_emplace({entry.village_id, entry.period});
    if (!inserted && it->second.recorded_at >= recorded_at) continue;
    it->second = {entry.village_id, entry.period, entry.sequence, recorded_at,
                  recorded_at + min_time_to_object};
  }
  std::vector<WindowDeadline> deadlines;
  deadlines.reserve(latest.size());
  for (auto& [key, deadline] : latest) deadlines.push_back(std::move(deadline));
  return deadlines;
}

}  // namespace jifen::publicity
