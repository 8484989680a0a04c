#include "services/publicity/domain/boards.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "services/publicity/domain/access.h"
#include "services/publicity/domain/mask.h"
#include "services/publicity/domain/registry_checks.h"

namespace jifen::publicity {

std::string EncodePageToken(const BoardKey& key, const PageCursor& after) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(DescribeBoard(key), "|", after.points, "|", after.household_id));
}

absl::StatusOr<PageCursor> DecodePageToken(const BoardKey& key, const std::string& token) {
  std::string plain;
  const auto invalid = [] { return absl::InvalidArgumentError("page_token is not valid here"); };
  if (!absl::WebSafeBase64Unescape(token, &plain)) return invalid();
  std::vector<std::string> parts = absl::StrSplit(plain, '|');
  PageCursor cursor;
  if (parts.size() != 3 || parts[0] != DescribeBoard(key) ||
      !absl::SimpleAtoi(parts[1], &cursor.points) ||
      !absl::SimpleAtoi(parts[2], &cursor.household_id)) {
    return invalid();
  }
  return cursor;
}

Boards::Boards(BoardStore& store, HouseholdDirectory& households, VillageDirectory& villages,
               WindowRepository& rules, LedgerSource& ledger)
    : store_(store), households_(households), villages_(villages), rules_(rules), ledger_(ledger) {}

absl::StatusOr<std::vector<ShownRow>> Boards::Show(const std::vector<RankedRow>& rows) {
  // Names come from the registry, per village; a registry outage leaves names out rather than
  // failing the board (the points are what matters and they are ours).
  std::map<int64_t, std::vector<int64_t>> by_village;
  for (const RankedRow& row : rows) by_village[row.village_id].push_back(row.household_id);
  absl::flat_hash_map<int64_t, HouseholdCard> cards;
  for (const auto& [village, ids] : by_village) {
    if (village == 0) continue;
    absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdCard>> found =
        households_.Lookup(village, ids);
    if (found.ok()) cards.insert(found->begin(), found->end());
  }
  std::vector<ShownRow> shown;
  shown.reserve(rows.size());
  for (const RankedRow& row : rows) {
    ShownRow out;
    out.row = row;
    auto it = cards.find(row.household_id);
    if (it != cards.end()) {
      out.group_id = it->second.group_id;
      out.house_number = it->second.house_number;
      out.masked_name = MaskName(it->second.name);
    }
    shown.push_back(std::move(out));
  }
  return shown;
}

absl::StatusOr<ShownPage> Boards::GetBoard(const auth::Caller& caller, const BoardKey& key,
                                           int page_size, const std::string& page_token) {
  RETURN_IF_ERROR(ValidateBoardKey(key));
  if (page_size == 0) page_size = kPageSizeDefault;
  if (page_size < 1 || page_size > kPageSizeMax) {
    return absl::InvalidArgumentError(absl::StrCat("page_size must be 1..", kPageSizeMax));
  }
  std::optional<PageCursor> after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(key, page_token));
  }
  RETURN_IF_ERROR(CheckBoardRead(caller, key, villages_));
  ASSIGN_OR_RETURN(BoardPage page, store_.ReadPage(key, after, page_size));
  // A group board with rows is a group of the village (entries carry their household's group), so
  // only an empty one costs a look at the registry.
  if (key.scope == BoardScope::kGroup && page.households == 0) {
    RETURN_IF_ERROR(CheckGroupOfVillage(villages_, key.village_id, key.group_id, "board.group_id"));
  }
  ShownPage shown;
  shown.key = key;
  ASSIGN_OR_RETURN(shown.rows, Show(page.rows));
  if (page.has_more && !page.rows.empty()) {
    shown.next_page_token =
        EncodePageToken(key, PageCursor{page.rows.back().points, page.rows.back().household_id});
  }
  shown.households = page.households;
  shown.applied_sequence = page.applied_sequence;
  shown.refreshed_at = page.refreshed_at;
  return shown;
}

absl::StatusOr<ShownStanding> Boards::GetStanding(const auth::Caller& caller, const BoardKey& key,
                                                  int64_t household_id, int neighbours) {
  if (household_id <= 0) return absl::InvalidArgumentError("household_id is required");
  if (key.scope != BoardScope::kVillage && key.scope != BoardScope::kGroup) {
    return absl::InvalidArgumentError("standing is read on a village or group board");
  }
  RETURN_IF_ERROR(ValidateBoardKey(key));
  if (neighbours < 0 || neighbours > kNeighboursMax) {
    return absl::InvalidArgumentError(absl::StrCat("neighbours must be 0..", kNeighboursMax));
  }
  RETURN_IF_ERROR(CheckBoardRead(caller, key, villages_));
  ASSIGN_OR_RETURN(StandingView view, store_.ReadStanding(key, household_id, neighbours));
  ShownStanding shown;
  shown.on_board = view.on_board;
  shown.households = view.households;
  shown.applied_sequence = view.applied_sequence;
  if (!view.on_board) {
    // "Not on the board" must mean "no points yet", not "asked about the wrong board": a
    // household on the board is of its village and group, so only this answer asks the registry.
    if (key.scope == BoardScope::kGroup) {
      RETURN_IF_ERROR(
          CheckGroupOfVillage(villages_, key.village_id, key.group_id, "board.group_id"));
    }
    RETURN_IF_ERROR(CheckStandingSubject(households_, key, household_id));
    return shown;
  }
  std::vector<RankedRow> all = view.above;
  all.push_back(view.row);
  all.insert(all.end(), view.below.begin(), view.below.end());
  ASSIGN_OR_RETURN(std::vector<ShownRow> rows, Show(all));
  shown.above.assign(rows.begin(), rows.begin() + view.above.size());
  shown.row = rows[view.above.size()];
  shown.below.assign(rows.begin() + view.above.size() + 1, rows.end());
  return shown;
}

absl::StatusOr<ShownLists> Boards::GetRedBlackLists(const auth::Caller& caller, int64_t village_id,
                                                    const std::string& period, int64_t group_id) {
  if (village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  if (group_id < 0) return absl::InvalidArgumentError("group_id must be 0 (none) or a group's id");
  ASSIGN_OR_RETURN(const Period quarter, ParseQuarter(period));
  RETURN_IF_ERROR(CheckVillageRead(caller, village_id, villages_));
  ASSIGN_OR_RETURN(ListRules rules, rules_.GetListRules(village_id));
  ASSIGN_OR_RETURN(VillageSnapshot snapshot, store_.ReadVillage(village_id));
  BoardKey key;
  key.scope = group_id > 0 ? BoardScope::kGroup : BoardScope::kVillage;
  key.village_id = village_id;
  key.group_id = group_id;
  key.period = quarter;
  std::vector<RankedRow> board;
  for (const auto& [household, points] : snapshot.boards[DescribeBoard(key)]) {
    board.push_back(RankedRow{household, points, 0, village_id});
  }
  if (key.scope == BoardScope::kGroup && board.empty()) {  // as in GetBoard
    RETURN_IF_ERROR(CheckGroupOfVillage(villages_, village_id, group_id, "group_id"));
  }
  const Lists lists = ComputeLists(rules, std::move(board), snapshot.deductions[quarter.Name()]);
  ShownLists shown;
  shown.rules = rules;
  shown.applied_sequence = snapshot.applied_sequence;
  ASSIGN_OR_RETURN(shown.red, Show(lists.red));
  std::vector<RankedRow> black_rows;
  for (const BlackListed& listed : lists.black) black_rows.push_back(listed.row);
  ASSIGN_OR_RETURN(std::vector<ShownRow> black_shown, Show(black_rows));
  for (size_t i = 0; i < black_shown.size(); ++i) {
    shown.black.emplace_back(std::move(black_shown[i]), lists.black[i].reasons);
  }
  return shown;
}

absl::StatusOr<ListRules> Boards::GetListRules(const auth::Caller& caller, int64_t village_id) {
  if (village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  if (caller.role == auth::Role::kResident || caller.role == auth::Role::kGridWorker ||
      caller.role == auth::Role::kAssessor) {
    return absl::PermissionDeniedError("list rules are read by staff");
  }
  RETURN_IF_ERROR(CheckVillageRead(caller, village_id, villages_));
  return rules_.GetListRules(village_id);
}

absl::StatusOr<ListRules> Boards::SetListRules(const auth::Caller& caller, const ListRules& rules,
                                               absl::Time now) {
  RETURN_IF_ERROR(ValidateListRules(rules));
  RETURN_IF_ERROR(CheckVillageAdmin(caller, rules.village_id));
  AuditEvent audit;
  audit.action = "list_rules.set";
  audit.actor_user_id = caller.user_id;
  audit.actor_role = std::string(auth::RoleName(caller.role));
  audit.request_id = caller.request_id;
  audit.village_id = rules.village_id;
  audit.subject = absl::StrCat("list_rules/", rules.village_id);
  audit.after =
      absl::StrCat("red_top_n=", rules.red_top_n, " red_min_points=", rules.red_min_points,
                   " black_max_points=", rules.black_max_points,
                   " black_categories=", absl::StrJoin(rules.black_categories, ","));
  audit.at = now;
  RETURN_IF_ERROR(rules_.PutListRules(rules, audit));
  return rules;
}

absl::StatusOr<ReconcileReport> Boards::Reconcile(const auth::Caller& caller, int64_t village_id) {
  if (village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  RETURN_IF_ERROR(CheckReconcile(caller, village_id));
  // Redis first, at its cursor; then the ledger up to that same cursor, so entries in flight are
  // not differences.
  ASSIGN_OR_RETURN(VillageSnapshot snapshot, store_.ReadVillage(village_id));
  ReconcileReport report;
  report.applied_sequence = snapshot.applied_sequence;
  std::map<std::string, std::map<int64_t, int64_t>> ledger;
  if (snapshot.applied_sequence > 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<EntryReader> reader,
                     ledger_.Open(0, /*follow=*/false, village_id));
    bool done = false;
    while (!done) {
      absl::StatusOr<std::vector<BoardEntry>> batch = reader->NextBatch(5000, absl::Seconds(30));
      if (absl::IsOutOfRange(batch.status())) break;
      RETURN_IF_ERROR(batch.status());
      if (batch->empty()) {
        return absl::DeadlineExceededError("the ledger stream stalled during reconcile");
      }
      for (const BoardEntry& entry : *batch) {
        if (entry.sequence > snapshot.applied_sequence) {
          done = true;
          break;
        }
        if (entry.village_id != village_id) continue;
        ++report.entries_checked;
        const BoardEffect effect = EffectOf(entry);
        if (!effect.moves_boards) continue;
        for (const std::string& name : {effect.quarter, effect.year}) {
          BoardKey key;
          key.village_id = village_id;
          key.period = *ParsePeriod(name);
          ledger[DescribeBoard(key)][entry.household_id] += entry.points;
          if (entry.group_id > 0) {
            key.scope = BoardScope::kGroup;
            key.group_id = entry.group_id;
            ledger[DescribeBoard(key)][entry.household_id] += entry.points;
          }
        }
      }
    }
    reader->Cancel();
  }
  std::map<std::string, std::map<int64_t, int64_t>> redis;
  for (const auto& [board, rows] : snapshot.boards) redis[board].insert(rows.begin(), rows.end());
  absl::flat_hash_set<std::string> boards;
  for (const auto& [board, rows] : ledger) boards.insert(board);
  for (const auto& [board, rows] : redis) boards.insert(board);
  std::vector<std::string> sorted(boards.begin(), boards.end());
  std::sort(sorted.begin(), sorted.end());
  report.boards_checked = static_cast<int32_t>(sorted.size());
  for (const std::string& board : sorted) {
    const std::map<int64_t, int64_t>& want = ledger[board];
    const std::map<int64_t, int64_t>& have = redis[board];
    std::map<int64_t, bool> households;
    for (const auto& [household, points] : want) households[household] = true;
    for (const auto& [household, points] : have) households[household] = true;
    for (const auto& [household, unused] : households) {
      auto w = want.find(household);
      auto h = have.find(household);
      if (w != want.end() && h != have.end() && w->second == h->second) continue;
      BoardDifference difference;
      difference.board = board;
      difference.household_id = household;
      if (h != have.end()) difference.redis_points = h->second;
      if (w != want.end()) difference.ledger_points = w->second;
      report.differences.push_back(difference);
    }
  }
  return report;
}

absl::Status Boards::Rebuild(const auth::Caller& caller) {
  if (!caller.IsService() && caller.role != auth::Role::kDistrictOfficial) {
    return absl::PermissionDeniedError("only district officials and services rebuild boards");
  }
  return store_.RequestRebuild();
}

absl::Status Boards::CheckWatch(const auth::Caller& caller, const BoardKey& key) {
  RETURN_IF_ERROR(ValidateBoardKey(key));
  if (key.scope != BoardScope::kVillage && key.scope != BoardScope::kGroup) {
    return absl::InvalidArgumentError("only village and group boards can be watched");
  }
  RETURN_IF_ERROR(CheckBoardRead(caller, key, villages_));
  // Watching a group of another village would wait for changes that never come.
  if (key.scope == BoardScope::kGroup) {
    return CheckGroupOfVillage(villages_, key.village_id, key.group_id, "group_id");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BoardChangeView>> Boards::ChangesOf(
    const BoardKey& key, const std::vector<BoardEntry>& batch) {
  const std::string period = key.period.Name();
  std::vector<BoardChangeView> changes;
  for (const BoardEntry& entry : batch) {
    if (entry.village_id != key.village_id) continue;
    const BoardEffect effect = EffectOf(entry);
    if (!effect.moves_boards) continue;
    if (effect.quarter != period && effect.year != period) continue;
    if (key.scope == BoardScope::kGroup && entry.group_id != key.group_id) continue;
    ASSIGN_OR_RETURN(StandingView view, store_.ReadStanding(key, entry.household_id, 0));
    if (!view.on_board) continue;
    ASSIGN_OR_RETURN(std::vector<ShownRow> shown, Show({view.row}));
    changes.push_back(BoardChangeView{entry.sequence, entry.points, shown.front()});
  }
  return changes;
}

absl::Status Boards::RefreshAggregates(const Period& year, absl::Time now) {
  ASSIGN_OR_RETURN(const std::vector<int64_t> village_ids, store_.ListVillages());
  // The town of a village the registry does not know (yet) is unknown: the district board still
  // counts it.
  absl::flat_hash_map<int64_t, int64_t> town_of;
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> all = villages_.AllVillages();
  if (all.ok()) town_of = *std::move(all);
  std::map<int64_t, std::vector<RankedRow>> by_town;
  std::vector<RankedRow> district;
  for (int64_t village_id : village_ids) {
    BoardKey key;
    key.village_id = village_id;
    key.period = year;
    ASSIGN_OR_RETURN(std::vector<RankedRow> rows, store_.ReadAll(key));
    auto town = town_of.find(village_id);
    for (RankedRow& row : rows) {
      row.village_id = village_id;
      if (town != town_of.end()) by_town[town->second].push_back(row);
      district.push_back(row);
    }
  }
  for (const auto& [town_id, rows] : by_town) {
    BoardKey key;
    key.scope = BoardScope::kTown;
    key.town_id = town_id;
    key.period = year;
    RETURN_IF_ERROR(store_.ReplaceAggregate(key, rows, now));
  }
  BoardKey key;
  key.scope = BoardScope::kDistrict;
  key.period = year;
  return store_.ReplaceAggregate(key, district, now);
}

}  // namespace jifen::publicity
