// What the publicity rules need from the scoring service. Implemented over gRPC by
// storage/GrpcScoring*; tests use those against a real scoring process.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/publicity/domain/board_entry.h"

namespace jifen::publicity {

// One open StreamEntries call.
class EntryReader {
 public:
  virtual ~EntryReader() = default;
  // Waits up to `wait` for entries and returns those available, at most `max`, in stream order;
  // an empty batch when none came in time. OUT_OF_RANGE when the stream ended (a non-following
  // call replayed everything). Another error means the stream broke; open a new one from the last
  // position applied.
  virtual absl::StatusOr<std::vector<BoardEntry>> NextBatch(size_t max, absl::Duration wait) = 0;
  // Makes a blocked or future NextBatch return promptly (CANCELLED). Thread-safe.
  virtual void Cancel() = 0;
};

class LedgerSource {
 public:
  virtual ~LedgerSource() = default;
  // Entries with sequence > after_sequence; of one village, or all (village_id 0). `follow`: keep
  // waiting for new entries until cancelled.
  virtual absl::StatusOr<std::unique_ptr<EntryReader>> Open(int64_t after_sequence, bool follow,
                                                            int64_t village_id) = 0;
};

struct Settlement {
  int64_t households_credited = 0;
  int64_t points_credited = 0;
};

class LedgerCommands {
 public:
  virtual ~LedgerCommands() = default;
  // The entry `sequence` if it belongs to `household_id`; nullopt if the household has no such
  // entry (also when it belongs to another household).
  virtual absl::StatusOr<std::optional<BoardEntry>> FindEntry(int64_t household_id,
                                                              int64_t sequence) = 0;
  // Reverses entry `sequence` once per `correction_id`; returns the reversing entry's sequence.
  // `request_id` ("" none) is passed on, so that scoring's audit record carries it.
  virtual absl::StatusOr<int64_t> ReverseEntry(int64_t sequence, const std::string& correction_id,
                                               const std::string& reason,
                                               const std::string& request_id) = 0;
  // Settles the quarter into the wallets; a repeat is a no-op that succeeds and answers what the
  // settlement made before credited (a caller that lost that answer records it).
  // FAILED_PRECONDITION ("LATE_ENTRIES: ...") while the quarter has an objectable entry recorded
  // after `refuse_recorded_after` (absl::InfiniteFuture(): no such check).
  virtual absl::StatusOr<Settlement> SettlePeriod(int64_t village_id, const std::string& period,
                                                  absl::Time refuse_recorded_after) = 0;
};

class VillageDirectory {
 public:
  virtual ~VillageDirectory() = default;
  // NOT_FOUND for an unknown village.
  virtual absl::StatusOr<int64_t> TownOf(int64_t village_id) = 0;
  // The village of a villager group (groups never move); NOT_FOUND for a group the registry does
  // not know.
  virtual absl::StatusOr<int64_t> VillageOfGroup(int64_t group_id) = 0;
  // village_id -> town_id for every village.
  virtual absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> AllVillages() = 0;
};

struct HouseholdCard {
  int64_t group_id = 0;
  std::string house_number;
  std::string name;  // possibly already masked; callers mask again (MaskName is idempotent)
};

// Where the registry has a household now.
struct HouseholdPlace {
  int64_t village_id = 0;
  int64_t group_id = 0;
};

class HouseholdDirectory {
 public:
  virtual ~HouseholdDirectory() = default;
  // Where the registry has `household_id` now, asked of the registry itself (a refusal must not
  // rest on a cached group the household has left); nullopt when it knows no such household.
  virtual absl::StatusOr<std::optional<HouseholdPlace>> Place(int64_t household_id) = 0;
  // Cards of those `household_ids` of `village_id` that the registry knows; missing ones are left
  // out (a board still shows the row, without name).
  virtual absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdCard>> Lookup(
      int64_t village_id, const std::vector<int64_t>& household_ids) = 0;
};

}  // namespace jifen::publicity
