// Reading the boards: access checks, paging tokens, masked names; red/black lists; reconcile
// against the ledger; the town and district aggregates; live changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/publicity/domain/board_store.h"
#include "services/publicity/domain/ports.h"
#include "services/publicity/domain/red_black.h"
#include "services/publicity/domain/windows.h"

namespace jifen::publicity {

// A row as shown to people: the name is always masked, there is never a phone number.
struct ShownRow {
  RankedRow row;
  int64_t group_id = 0;
  std::string house_number;
  std::string masked_name;
};

struct ShownPage {
  BoardKey key;
  std::vector<ShownRow> rows;
  std::string next_page_token;
  int64_t households = 0;
  int64_t applied_sequence = 0;
  absl::Time refreshed_at = absl::InfinitePast();
};

struct ShownStanding {
  bool on_board = false;
  ShownRow row;
  std::vector<ShownRow> above;
  std::vector<ShownRow> below;
  int64_t households = 0;
  int64_t applied_sequence = 0;
};

struct ShownLists {
  ListRules rules;
  std::vector<ShownRow> red;
  std::vector<std::pair<ShownRow, std::vector<std::string>>> black;
  int64_t applied_sequence = 0;
};

struct BoardDifference {
  std::string board;
  int64_t household_id = 0;
  std::optional<int64_t> redis_points;
  std::optional<int64_t> ledger_points;
};

struct ReconcileReport {
  int64_t applied_sequence = 0;
  int64_t entries_checked = 0;
  int32_t boards_checked = 0;
  std::vector<BoardDifference> differences;
};

struct BoardChangeView {
  int64_t sequence = 0;
  int64_t delta_points = 0;
  ShownRow row;
};

inline constexpr int kPageSizeDefault = 50;
inline constexpr int kPageSizeMax = 200;
inline constexpr int kNeighboursMax = 10;

class Boards final {
 public:
  Boards(BoardStore& store, HouseholdDirectory& households, VillageDirectory& villages,
         WindowRepository& rules, LedgerSource& ledger);

  absl::StatusOr<ShownPage> GetBoard(const auth::Caller& caller, const BoardKey& key, int page_size,
                                     const std::string& page_token);
  absl::StatusOr<ShownStanding> GetStanding(const auth::Caller& caller, const BoardKey& key,
                                            int64_t household_id, int neighbours);
  absl::StatusOr<ShownLists> GetRedBlackLists(const auth::Caller& caller, int64_t village_id,
                                              const std::string& period, int64_t group_id);
  absl::StatusOr<ListRules> GetListRules(const auth::Caller& caller, int64_t village_id);
  absl::StatusOr<ListRules> SetListRules(const auth::Caller& caller, const ListRules& rules,
                                         absl::Time now);
  absl::StatusOr<ReconcileReport> Reconcile(const auth::Caller& caller, int64_t village_id);
  absl::Status Rebuild(const auth::Caller& caller);

  // The watch: checks access once; then, per batch of applied entries, the rows of the watched
  // board that changed, as they are now.
  absl::Status CheckWatch(const auth::Caller& caller, const BoardKey& key);
  absl::StatusOr<std::vector<BoardChangeView>> ChangesOf(const BoardKey& key,
                                                         const std::vector<BoardEntry>& batch);

  // Rewrites the town and district boards of `year` from the village yearly boards.
  absl::Status RefreshAggregates(const Period& year, absl::Time now);

 private:
  absl::StatusOr<std::vector<ShownRow>> Show(const std::vector<RankedRow>& rows);

  BoardStore& store_;
  HouseholdDirectory& households_;
  VillageDirectory& villages_;
  WindowRepository& rules_;
  LedgerSource& ledger_;
};

// Page tokens name the board they belong to and the last row shown; opaque to clients.
std::string EncodePageToken(const BoardKey& key, const PageCursor& after);
absl::StatusOr<PageCursor> DecodePageToken(const BoardKey& key, const std::string& token);

}  // namespace jifen::publicity
