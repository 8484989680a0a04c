// Anomaly rules: pure functions over facts, each flag naming its evidence. Thresholds are options
// with documented defaults; tests craft cases that fire and clean cases that stay quiet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"

namespace jifen::audit {

// One award or deduction as scored by someone (from the ledger stream or the trail).
struct ScoreEvent {
  std::string evidence;  // reference to the source, e.g. "ledger:88" or "audit:1234"
  int64_t village_id = 0;
  int64_t household_id = 0;
  std::string scorer_user_id;
  int64_t points = 0;                      // signed
  int64_t at_ms = 0;                       // when recorded
  std::vector<std::string> photo_digests;  // SHA-256 hex of the photos attached
  // The household's steward (户管家) when the award was recorded, "" if none or unknown. Carried
  // per event because stewards change: what counts is who stewarded the household at that time.
  std::string steward_user_id;
  bool scorer_is_member = false;  // the scorer lives in the household (registry member link)
  std::string period;  // the deed's quarter ("2026Q2"); "" in records written before it was stated
};

struct RedemptionEvent {
  std::string evidence;
  int64_t village_id = 0;
  int64_t at_ms = 0;
};

struct FlagDraft {
  int64_t village_id = 0;
  std::string rule;     // "self_award", "peer_outlier", "shared_photo", "close_burst", ...
  std::string subject;  // what is flagged; (rule, village, subject) identifies a flag
  std::string summary;
  std::vector<std::string> evidence;
};

// Scorer -> households the scorer belongs to or stewards (户管家 / "1+N" cadre).
using ScorerHouseholds = absl::flat_hash_map<std::string, absl::flat_hash_set<int64_t>>;

// A scorer awarding (points > 0) their own household or one they steward: related in `relations`,
// or named as the household's steward on the event itself. One flag per scorer and household,
// listing every such award.
std::vector<FlagDraft> SelfAwards(const std::vector<ScoreEvent>& events,
                                  const ScorerHouseholds& relations);

struct PeerOutlierOptions {
  int64_t factor = 3;             // flag when a scorer's awards exceed factor x the peers' median
  int64_t min_award_points = 30;  // ... and at least this many points (small numbers are noise)
  int min_peers = 2;              // scorers in the village besides the one examined
};
// Awards far above the scorer's peers in the same village (positive points summed per scorer).
std::vector<FlagDraft> PeerOutliers(const std::vector<ScoreEvent>& events,
                                    const PeerOutlierOptions& options = {});

// One photo (same digest) attached to entries of two or more households.
std::vector<FlagDraft> SharedPhotos(const std::vector<ScoreEvent>& events);

struct BurstOptions {
  absl::Duration window = absl::Hours(24);  // the stretch just before the close
  int baseline_windows = 7;                 // earlier stretches of the same length
  int64_t factor = 4;                       // flag when count > factor x the baseline average
  int64_t min_count = 10;                   // ... and at least this many entries
};
// Bursts of entries just before a publicity window closes (village -> close time in ms).
std::vector<FlagDraft> CloseBursts(const std::vector<ScoreEvent>& events,
                                   const absl::flat_hash_map<int64_t, int64_t>& close_at_ms,
                                   const BurstOptions& options = {});

struct SpikeOptions {
  int baseline_days = 7;   // days before the examined one (Asia/Shanghai calendar days)
  int64_t factor = 3;      // flag a day above factor x the baseline daily average
  int64_t min_count = 10;  // ... with at least this many redemptions
};
// Days on which a village's redemptions spike above its recent average.
std::vector<FlagDraft> RedemptionSpikes(const std::vector<RedemptionEvent>& events,
                                        const SpikeOptions& options = {});

}  // namespace jifen::audit
