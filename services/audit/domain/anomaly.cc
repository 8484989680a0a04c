#include "services/audit/domain/anomaly.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {
namespace {

constexpr size_t kMaxEvidence = 50;  // a flag lists at most this many references

void AddEvidence(FlagDraft& flag, const std::string& reference) {
  if (flag.evidence.size() < kMaxEvidence) flag.evidence.push_back(reference);
}

int64_t Median(std::vector<int64_t> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace

std::vector<FlagDraft> SelfAwards(const std::vector<ScoreEvent>& events,
                                  const ScorerHouseholds& relations) {
  std::map<std::pair<std::string, int64_t>, FlagDraft> flags;  // ordered: stable output
  for (const ScoreEvent& event : events) {
    if (event.points <= 0) continue;
    auto related = relations.find(event.scorer_user_id);
    const bool listed = related != relations.end() && related->second.contains(event.household_id);
    const bool stewards =
        !event.steward_user_id.empty() && event.steward_user_id == event.scorer_user_id;
    if (!listed && !stewards && !event.scorer_is_member) continue;
    FlagDraft& flag = flags[{event.scorer_user_id, event.household_id}];
    if (flag.rule.empty()) {
      flag.village_id = event.village_id;
      flag.rule = "self_award";
      flag.subject =
          absl::StrCat("scorer ", event.scorer_user_id, " household ", event.household_id);
    }
    AddEvidence(flag, event.evidence);
  }
  std::vector<FlagDraft> out;
  for (auto& [key, flag] : flags) {
    flag.summary =
        absl::StrCat("scorer ", key.first, " awarded points ", flag.evidence.size(),
                     " time(s) to household ", key.second, ", which they belong to or steward");
    out.push_back(std::move(flag));
  }
  return out;
}

std::vector<FlagDraft> PeerOutliers(const std::vector<ScoreEvent>& events,
                                    const PeerOutlierOptions& options) {
  // village -> scorer -> (award points, evidence)
  std::map<int64_t, std::map<std::string, std::pair<int64_t, std::vector<std::string>>>> totals;
  for (const ScoreEvent& event : events) {
    if (event.points <= 0) continue;
    auto& entry = totals[event.village_id][event.scorer_user_id];
    entry.first += event.points;
    if (entry.second.size() < kMaxEvidence) entry.second.push_back(event.evidence);
  }
  std::vector<FlagDraft> out;
  for (const auto& [village_id, scorers] : totals) {
    if (static_cast<int>(scorers.size()) < options.min_peers + 1) continue;
    for (const auto& [scorer, entry] : scorers) {
      std::vector<int64_t> peers;
      for (const auto& [other, other_entry] : scorers) {
        if (other != scorer) peers.push_back(other_entry.first);
      }
      const int64_t median = Median(peers);
      if (entry.first < options.min_award_points || entry.first <= options.factor * median) {
        continue;
      }
      FlagDraft flag;
      flag.village_id = village_id;
      flag.rule = "peer_outlier";
      flag.subject = absl::StrCat("scorer ", scorer);
      flag.summary = absl::StrCat("scorer ", scorer, " awarded ", entry.first,
                                  " points; the median of ", peers.size(), " peers is ", median);
      flag.evidence = entry.second;
      out.push_back(std::move(flag));
    }
  }
  return out;
}

std::vector<FlagDraft> SharedPhotos(const std::vector<ScoreEvent>& events) {
  struct Household {
    int64_t village_id = 0;
    std::vector<std::string> evidence;
  };
  std::map<std::string, std::map<int64_t, Household>> uses;  // digest -> household -> its uses
  for (const ScoreEvent& event : events) {
    for (const std::string& digest : event.photo_digests) {
      Household& use = uses[digest][event.household_id];
      use.village_id = event.village_id;
      use.evidence.push_back(event.evidence);
    }
  }
  // One flag per village the photo was used in, so that each village's supervisors see it; each
  // names its own village's households and entries, and counts the others'.
  std::vector<FlagDraft> out;
  for (const auto& [digest, households] : uses) {
    if (households.size() < 2) continue;
    std::set<int64_t> villages;
    for (const auto& [household, use] : households) villages.insert(use.village_id);
    for (int64_t village : villages) {
      FlagDraft flag;
      flag.village_id = village;
      flag.rule = "shared_photo";
      flag.subject = absl::StrCat("photo ", digest.substr(0, 16));
      std::string own;
      size_t elsewhere = 0;
      for (const auto& [household, use] : households) {
        if (use.village_id != village) {
          ++elsewhere;
          continue;
        }
        absl::StrAppend(&own, own.empty() ? "" : ", ", household);
        for (const std::string& reference : use.evidence) AddEvidence(flag, reference);
      }
      AddEvidence(flag, absl::StrCat("photo:", digest));
      flag.summary = absl::StrCat("one photo is attached to entries of ", households.size(),
                                  " households: ", own);
      if (elsewhere > 0) {
        absl::StrAppend(&flag.summary, ", and ", elsewhere, " of ", villages.size() - 1,
                        " other village", villages.size() > 2 ? "s" : "");
      }
      out.push_back(std::move(flag));
    }
  }
  return out;
}

std::vector<FlagDraft> CloseBursts(const std::vector<ScoreEvent>& events,
                                   const absl::flat_hash_map<int64_t, int64_t>& close_at_ms,
                                   const BurstOptions& options) {
  const int64_t window_ms = absl::ToInt64Milliseconds(options.window);
  std::map<int64_t, std::vector<int64_t>> counts;  // village -> [0]=last window, [i]=earlier
  std::map<int64_t, std::vector<std::string>> evidence;
  for (const ScoreEvent& event : events) {
    auto close = close_at_ms.find(event.village_id);
    if (close == close_at_ms.end() || event.at_ms >= close->second) continue;
    const int64_t index = (close->second - 1 - event.at_ms) / window_ms;
    if (index > options.baseline_windows) continue;
    std::vector<int64_t>& bucket = counts[event.village_id];
    bucket.resize(options.baseline_windows + 1, 0);
    ++bucket[index];
    if (index == 0 && evidence[event.village_id].size() < kMaxEvidence) {
      evidence[event.village_id].push_back(event.evidence);
    }
  }
  std::vector<FlagDraft> out;
  for (const auto& [village_id, bucket] : counts) {
    int64_t baseline = 0;
    for (int i = 1; i <= options.baseline_windows; ++i) baseline += bucket[i];
    const int64_t last = bucket[0];
    // last > factor * average  <=>  last * windows > factor * baseline (integers, no division).
    if (last < options.min_count || last * options.baseline_windows <= options.factor * baseline) {
      continue;
    }
    FlagDraft flag;
    flag.village_id = village_id;
    flag.rule = "close_burst";
    flag.subject =
        absl::StrCat("window closing ", DateOf(absl::FromUnixMillis(close_at_ms.at(village_id))));
    flag.summary = absl::StrCat(last, " entries in the ", absl::FormatDuration(options.window),
                                " before the publicity window closed; ", baseline, " in the ",
                                options.baseline_windows, " stretches before");
    flag.evidence = evidence[village_id];
    out.push_back(std::move(flag));
  }
  return out;
}

std::vector<FlagDraft> RedemptionSpikes(const std::vector<RedemptionEvent>& events,
                                        const SpikeOptions& options) {
  // village -> day -> evidence (days as "YYYY-MM-DD", Shanghai)
  std::map<int64_t, std::map<std::string, std::vector<std::string>>> days;
  for (const RedemptionEvent& event : events) {
    days[event.village_id][DateOf(absl::FromUnixMillis(event.at_ms))].push_back(event.evidence);
  }
  std::vector<FlagDraft> out;
  for (const auto& [village_id, by_day] : days) {
    for (const auto& [day, references] : by_day) {
      absl::Time start;
      if (!ParseDate(day, &start).ok()) continue;
      int64_t baseline = 0;
      for (int i = 1; i <= options.baseline_days; ++i) {
        auto earlier = by_day.find(DateOf(start - absl::Hours(24) * i));
        if (earlier != by_day.end()) baseline += static_cast<int64_t>(earlier->second.size());
      }
      const int64_t count = static_cast<int64_t>(references.size());
      if (count < options.min_count || count * options.baseline_days <= options.factor * baseline) {
        continue;
      }
      FlagDraft flag;
      flag.village_id = village_id;
      flag.rule = "redemption_spike";
      flag.subject = absl::StrCat("day ", day);
      flag.summary = absl::StrCat(count, " redemptions on ", day, " against ", baseline, " in the ",
                                  options.baseline_days, " days before");
      for (const std::string& reference : references) AddEvidence(flag, reference);
      out.push_back(std::move(flag));
    }
  }
  return out;
}

}  // namespace jifen::audit
