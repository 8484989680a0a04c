#include "services/publicity/storage/redis_board_store.h"

#include <cmath>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status/status_macros.h"

namespace jifen::publicity {
namespace {

using redis::Reply;

// Applies a batch of one village's entries, in stream order: skips each entry at or below the
// village's cursor; applies the others to the boards and moves the cursor, all in one atomic step.
//   KEYS[1] cursor, KEYS[2] index set, KEYS[3 ..] the boards and deduction sets of the batch.
//   ARGV[1] n, then 9 fields per entry: sequence, member, negated points, four board key indexes
//   (village quarter, village year, group quarter, group year; 0 = none), deduction key index
//   (0 = none), deduction delta; then the index suffixes to add.
// The cursor is written from the ARGV text: Lua 5.1 would print a large number with an exponent.
constexpr char kApplyScript[] = R"lua(
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local last_text = nil
local n = tonumber(ARGV[1])
local applied = 0
for i = 0, n - 1 do
  local b = 2 + i * 9
  local sequence = tonumber(ARGV[b])
  if sequence > last then
    last = sequence
    last_text = ARGV[b]
    applied = applied + 1
    local member = ARGV[b + 1]
    for k = 3, 6 do
      local board = tonumber(ARGV[b + k])
      if board > 0 then redis.call('ZINCRBY', KEYS[board], ARGV[b + 2], member) end
    end
    local deductions = tonumber(ARGV[b + 7])
    if deductions > 0 then
      local net = redis.call('ZINCRBY', KEYS[deductions], ARGV[b + 8], member)
      if tonumber(net) == 0 then redis.call('ZREM', KEYS[deductions], member) end
    end
  end
end
if applied > 0 then
  redis.call('SET', KEYS[1], last_text)
  local first_suffix = 2 + n * 9
  if #ARGV >= first_suffix then redis.call('SADD', KEYS[2], unpack(ARGV, first_suffix)) end
end
return applied
)lua";

// A page after a given row: its position is the number of rows ranking before or equal to it.
//   KEYS[1] board, KEYS[2] side key; ARGV[1] score of the last row, ARGV[2] its member,
//   ARGV[3] rows wanted. Returns {start, above_first, card, side, rows-with-scores}.
constexpr char kPageScript[] = R"lua(
local start = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. ARGV[1])
local ties = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
for _, member in ipairs(ties) do
  if member <= ARGV[2] then start = start + 1 else break end
end
local rows = redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1, 'WITHSCORES')
local above = 0
if #rows > 0 then above = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. rows[2]) end
return {start, above, redis.call('ZCARD', KEYS[1]), redis.call('GET', KEYS[2]) or '', rows}
)lua";

// A household and its neighbours. KEYS[1] board, KEYS[2] side key; ARGV[1] member, ARGV[2] n.
// Returns {position or -1, first position, above_first, card, side, rows-with-scores}.
constexpr char kStandingScript[] = R"lua(
local card = redis.call('ZCARD', KEYS[1])
local side = redis.call('GET', KEYS[2]) or ''
local pos = redis.call('ZRANK', KEYS[1], ARGV[1])
if not pos then return {-1, 0, 0, card, side, {}} end
local n = tonumber(ARGV[2])
local from = pos - n
if from < 0 then from = 0 end
local rows = redis.call('ZRANGE', KEYS[1], from, pos + n, 'WITHSCORES')
local above = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. rows[2])
return {pos, from, above, card, side, rows}
)lua";

// Everything of one village with its cursor, atomically. KEYS[1] cursor, KEYS[2] index;
// ARGV[1] the village's key stem. Returns {cursor, suffix1, rows1, suffix2, rows2, ...}.
constexpr char kVillageScript[] = R"lua(
local out = {redis.call('GET', KEYS[1]) or '0'}
for _, suffix in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  table.insert(out, suffix)
  table.insert(out, redis.call('ZRANGE', ARGV[1] .. suffix, 0, -1, 'WITHSCORES'))
end
return out
)lua";

absl::StatusOr<int64_t> IntegerOf(const Reply& reply) {
  if (reply.type == Reply::Type::kInteger) return reply.integer;
  int64_t value = 0;
  if ((reply.type == Reply::Type::kString || reply.type == Reply::Type::kStatus) &&
      absl::SimpleAtoi(reply.str, &value)) {
    return value;
  }
  if (reply.is_nil() || (reply.type == Reply::Type::kString && reply.str.empty())) return 0;
  return absl::InternalError("redis: expected an integer reply");
}

// Scores are negated points; Redis prints integral doubles exactly below 2^53.
absl::StatusOr<int64_t> PointsOfScore(const std::string& score) {
  double value = 0;
  if (!absl::SimpleAtod(score, &value) || !std::isfinite(value)) {
    return absl::InternalError(absl::StrCat("redis: bad score \"", score, "\""));
  }
  return -static_cast<int64_t>(std::llround(value));
}

absl::StatusOr<int64_t> HouseholdOfMember(const std::string& member) {
  int64_t household = 0;
  if (!absl::SimpleAtoi(member, &household)) {
    return absl::InternalError(absl::StrCat("redis: bad board member \"", member, "\""));
  }
  return household;
}

// ZRANGE ... WITHSCORES reply -> rows (ranks not set).
absl::StatusOr<std::vector<RankedRow>> RowsOf(const Reply& reply) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() % 2 != 0) {
    return absl::InternalError("redis: expected member/score pairs");
  }
  std::vector<RankedRow> rows;
  rows.reserve(reply.elements.size() / 2);
  for (size_t i = 0; i < reply.elements.size(); i += 2) {
    RankedRow row;
    ASSIGN_OR_RETURN(row.household_id, HouseholdOfMember(reply.elements[i].str));
    ASSIGN_OR_RETURN(row.points, PointsOfScore(reply.elements[i + 1].str));
    rows.push_back(row);
  }
  return rows;
}

std::string ScoreText(int64_t points) { return absl::StrCat(-points); }

absl::Status ExpectArray(const Reply& reply, size_t min_size) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() < min_size) {
    return absl::InternalError("redis: unexpected script reply");
  }
  return absl::OkStatus();
}

// UNLINKs every key matching the glob `pattern`.
absl::Status UnlinkMatching(redis::RedisClient& client, const std::string& pattern) {
  std::string cursor = "0";
  do {
    ASSIGN_OR_RETURN(Reply page,
                     client.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"}));
    if (page.type != Reply::Type::kArray || page.elements.size() != 2 ||
        page.elements[1].type != Reply::Type::kArray) {
      return absl::InternalError("redis: unexpected SCAN reply");
    }
    cursor = page.elements[0].str;
    if (!page.elements[1].elements.empty()) {
      std::vector<std::string> unlink = {"UNLINK"};
      for (const Reply& key : page.elements[1].elements) unlink.push_back(key.str);
      RETURN_IF_ERROR(client.Command(unlink).status());
    }
  } while (cursor != "0");
  return absl::OkStatus();
}

}  // namespace

RedisBoardStore::RedisBoardStore(redis::RedisPool& pool, std::string prefix, CursorTracker* cursors)
    : pool_(pool), prefix_(std::move(prefix)), cursors_(cursors) {}

std::string RedisBoardStore::Member(int64_t household_id) {
  return absl::StrFormat("%019d", household_id);
}

std::string RedisBoardStore::VillageTag(int64_t village_id) const {
  return absl::StrCat(prefix_, "{v", village_id, "}:");
}

std::string RedisBoardStore::BoardKeyName(const BoardKey& key) const {
  const std::string period = key.period.Name();
  switch (key.scope) {
    case BoardScope::kVillage:
      return absl::StrCat(VillageTag(key.village_id), "b:", period);
    case BoardScope::kGroup:
      return absl::StrCat(VillageTag(key.village_id), "g", key.group_id, ":", period);
    case BoardScope::kTown:
      return absl::StrCat(prefix_, "{t", key.town_id, "}:town:", period);
    case BoardScope::kDistrict:
      return absl::StrCat(prefix_, "{d}:district:", period);
  }
  return "";
}

std::string RedisBoardStore::SideKeyName(const BoardKey& key) const {
  if (key.scope == BoardScope::kVillage || key.scope == BoardScope::kGroup) {
    return absl::StrCat(VillageTag(key.village_id), "c");
  }
  return absl::StrCat(BoardKeyName(key), ":at");
}

absl::Status RedisBoardStore::FillVillages(const BoardKey& key, std::vector<RankedRow>& rows) {
  if (key.scope == BoardScope::kVillage || key.scope == BoardScope::kGroup) {
    for (RankedRow& row : rows) row.village_id = key.village_id;
    return absl::OkStatus();
  }
  if (rows.empty()) return absl::OkStatus();
  std::vector<std::string> command = {"HMGET", absl::StrCat(BoardKeyName(key), ":villages")};
  for (const RankedRow& row : rows) command.push_back(Member(row.household_id));
  ASSIGN_OR_RETURN(Reply reply, pool_.Get().Command(command));
  if (reply.type != Reply::Type::kArray || reply.elements.size() != rows.size()) {
    return absl::InternalError("redis: unexpected HMGET reply");
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(rows[i].village_id, IntegerOf(reply.elements[i]));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> RedisBoardStore::ResumePoint() {
  ASSIGN_OR_RETURN(Reply reply, pool_.Get().Command({"GET", absl::StrCat(prefix_, "{g}:resume")}));
  if (reply.is_nil()) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t resume, IntegerOf(reply));
  return std::optional<int64_t>(resume);
}

absl::Status RedisBoardStore::ResetAll() {
  redis::RedisClient& client = pool_.Get();
  // Whatever happened to the deletes, this process reads cursors afresh afterwards.
  const absl::Cleanup forget_cursors = [this] {
    if (cursors_ != nullptr) cursors_->ForgetAll();
  };
  // The resume point goes first: a feeder running elsewhere then sees "rebuild" at once.
  RETURN_IF_ERROR(client.Command({"DEL", absl::StrCat(prefix_, "{g}:resume")}).status());
  // Every village cursor goes before any board, so no reader ever sees a cursor next to a half
  // deleted board. Page caches (ours and other instances') rely on this: a page read under
  // cursor S must be the board at S, because the replay that follows reaches S again.
  RETURN_IF_ERROR(UnlinkMatching(client, absl::StrCat(prefix_, "{v*}:c")));
  RETURN_IF_ERROR(UnlinkMatching(client, absl::StrCat(prefix_, "*")));
  return client.Command({"SET", absl::StrCat(prefix_, "{g}:resume"), "0"}).status();
}

absl::StatusOr<std::string> RedisBoardStore::ApplyScriptSha(redis::RedisClient& client,
                                                            bool reload) {
  {
    absl::MutexLock lock(&mutex_);
    if (!reload && !apply_sha_.empty()) return apply_sha_;
  }
  ASSIGN_OR_RETURN(Reply sha, client.Command({"SCRIPT", "LOAD", kApplyScript}));
  if (sha.type != Reply::Type::kString || sha.str.empty()) {
    return absl::InternalError("redis: SCRIPT LOAD gave no sha");
  }
  absl::MutexLock lock(&mutex_);
  apply_sha_ = sha.str;
  return apply_sha_;
}

std::vector<std::string> RedisBoardStore::ApplyCommand(
    const std::string& sha, int64_t village_id, const std::vector<const BoardEntry*>& entries) {
  const std::string tag = VillageTag(village_id);
  std::vector<std::string> keys = {absl::StrCat(tag, "c"), absl::StrCat(tag, "i")};
  std::vector<std::string> suffixes;
  absl::flat_hash_map<std::string, int> key_index;  // suffix -> KEYS position (1-based)
  const auto index_of = [&](std::string suffix) {
    auto [it, inserted] = key_index.try_emplace(suffix, static_cast<int>(keys.size()) + 1);
    if (inserted) {
      keys.push_back(absl::StrCat(tag, suffix));
      suffixes.push_back(std::move(suffix));
    }
    return absl::StrCat(it->second);
  };
  std::vector<std::string> args = {absl::StrCat(entries.size())};
  args.reserve(1 + entries.size() * 9);
  for (const BoardEntry* entry : entries) {
    const BoardEffect effect = EffectOf(*entry);
    args.push_back(absl::StrCat(entry->sequence));
    args.push_back(Member(entry->household_id));
    args.push_back(ScoreText(effect.points_delta));
    if (!effect.moves_boards) {
      args.insert(args.end(), {"0", "0", "0", "0", "0", "0"});
      continue;
    }
    args.push_back(index_of(absl::StrCat("b:", effect.quarter)));
    args.push_back(index_of(absl::StrCat("b:", effect.year)));
    if (entry->group_id > 0) {
      args.push_back(index_of(absl::StrCat("g", entry->group_id, ":", effect.quarter)));
      args.push_back(index_of(absl::StrCat("g", entry->group_id, ":", effect.year)));
    } else {
      args.insert(args.end(), {"0", "0"});
    }
    if (effect.deduction_delta != 0) {
      args.push_back(index_of(absl::StrCat("d:", effect.quarter, ":", effect.category)));
      args.push_back(absl::StrCat(effect.deduction_delta));
    } else {
      args.insert(args.end(), {"0", "0"});
    }
  }
  std::vector<std::string> command = {"EVALSHA", sha, absl::StrCat(keys.size())};
  command.reserve(3 + keys.size() + args.size() + suffixes.size());
  command.insert(command.end(), std::make_move_iterator(keys.begin()),
                 std::make_move_iterator(keys.end()));
  command.insert(command.end(), std::make_move_iterator(args.begin()),
                 std::make_move_iterator(args.end()));
  command.insert(command.end(), std::make_move_iterator(suffixes.begin()),
                 std::make_move_iterator(suffixes.end()));
  return command;
}

absl::StatusOr<int64_t> RedisBoardStore::Apply(const std::vector<BoardEntry>& entries) {
  if (entries.empty()) return 0;
  // One script call per village per batch (keeping stream order within the village): the
  // per-call cost of EVALSHA then spreads over many entries.
  std::vector<int64_t> village_order;
  absl::flat_hash_map<int64_t, std::vector<const BoardEntry*>> by_village;
  for (const BoardEntry& entry : entries) {
    auto [it, inserted] = by_village.try_emplace(entry.village_id);
    if (inserted) village_order.push_back(entry.village_id);
    it->second.push_back(&entry);
  }
  redis::RedisClient& client = pool_.Get();
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(const std::string sha, ApplyScriptSha(client, attempt > 0));
    std::vector<std::vector<std::string>> commands;
    commands.reserve(village_order.size() + 1);
    for (int64_t village_id : village_order) {
      commands.push_back(ApplyCommand(sha, village_id, by_village[village_id]));
    }
    std::vector<std::string> register_villages = {"SADD", absl::StrCat(prefix_, "{g}:villages")};
    for (int64_t village_id : village_order) register_villages.push_back(absl::StrCat(village_id));
    commands.push_back(std::move(register_villages));
    // Applied, partly applied or unknown: this process reads these cursors afresh afterwards
    // rather than wait for Redis's invalidation messages.
    const absl::Cleanup forget_cursors = [&] {
      if (cursors_ == nullptr) return;
      for (int64_t village_id : village_order) {
        cursors_->Forget(absl::StrCat(VillageTag(village_id), "c"));
      }
    };

    absl::StatusOr<std::vector<Reply>> replies = client.Pipeline(commands);
    // NOSCRIPT: Redis restarted or flushed its script cache; load the script and send again
    // (entries that did apply are skipped by their village cursors).
    if (absl::IsNotFound(replies.status()) && attempt == 0) continue;
    if (!replies.ok()) return replies.status();
    int64_t applied = 0;
    for (size_t i = 0; i + 1 < replies->size(); ++i) {
      ASSIGN_OR_RETURN(const int64_t count, IntegerOf((*replies)[i]));
      applied += count;
    }
    return applied;
  }
  return absl::UnavailableError("redis: apply script could not be loaded");
}

absl::StatusOr<bool> RedisBoardStore::AdvanceResumePoint(int64_t sequence) {
  ASSIGN_OR_RETURN(Reply reply, pool_.Get().Command({"SET", absl::StrCat(prefix_, "{g}:resume"),
                                                     absl::StrCat(sequence), "XX"}));
  return !reply.is_nil();
}

absl::Status RedisBoardStore::RequestRebuild() {
  return pool_.Get().Command({"DEL", absl::StrCat(prefix_, "{g}:resume")}).status();
}

absl::StatusOr<BoardPage> RedisBoardStore::ReadPage(const BoardKey& key,
                                                    const std::optional<PageCursor>& after,
                                                    int page_size) {
  redis::RedisClient& client = pool_.Get();
  // Town and district boards have a refresh time, not a cursor, as side key: not cached.
  if (key.scope != BoardScope::kVillage && key.scope != BoardScope::kGroup) {
    ASSIGN_OR_RETURN(PageRead read, ReadPageFromRedis(client, key, after, page_size));
    return std::move(read.page);
  }
  // The apply script moves the village cursor in the same atomic step as every change to the
  // village's boards, and ResetAll deletes the cursors before the boards. So while the cursor
  // still reads S, a page read together with S is the board as it is now.
  //
  // A missing cursor (FLUSHALL, a restart without data, a rebuild under way) reads "", which
  // never matches. When the replay then brings the cursor back to S, the board is again exactly
  // the village's ledger entries up to S (entries are immutable and applied once each), i.e. the
  // page cached under S, so serving it again is right.
  //
  // The cursor comes from the tracker's memory when it can vouch for it (no round trip at all),
  // else from a GET.
  const std::string side_key = SideKeyName(key);
  std::optional<std::string> version;
  if (cursors_ != nullptr) version = cursors_->Value(side_key);
  if (!version.has_value()) {
    ASSIGN_OR_RETURN(Reply side, client.Command({"GET", side_key}));
    if (side.type != Reply::Type::kString && !side.is_nil()) {
      return absl::InternalError("redis: unexpected GET reply");
    }
    version = std::move(side.str);
  }
  PageId id{BoardKeyName(key), after, page_size};
  if (std::optional<BoardPage> cached = page_cache_.Find(id, *version)) {
    return *std::move(cached);
  }
  ASSIGN_OR_RETURN(PageRead read, ReadPageFromRedis(client, key, after, page_size));
  page_cache_.Store(std::move(id), std::move(read.side), read.page);
  return std::move(read.page);
}

absl::StatusOr<RedisBoardStore::PageRead> RedisBoardStore::ReadPageFromRedis(
    redis::RedisClient& client, const BoardKey& key, const std::optional<PageCursor>& after,
    int page_size) {
  const std::string board = BoardKeyName(key);
  const std::string side = SideKeyName(key);
  PageRead read;
  BoardPage& page = read.page;
  int64_t start = 0;
  int64_t above_first = 0;
  std::vector<RankedRow> rows;
  // One row more than asked tells whether another page follows.
  const std::string wanted = absl::StrCat(page_size + 1);
  if (!after.has_value()) {
    // MULTI/EXEC: the side value must describe exactly these rows, or a page could be cached
    // under a cursor it does not belong to. Board and side key share a hash tag (one slot).
    ASSIGN_OR_RETURN(std::vector<Reply> replies,
                     client.Pipeline({{"MULTI"},
                                      {"GET", side},
                                      {"ZRANGE", board, "0", absl::StrCat(page_size), "WITHSCORES"},
                                      {"ZCARD", board},
                                      {"EXEC"}}));
    const Reply& results = replies.back();
    RETURN_IF_ERROR(ExpectArray(results, 3));
    read.side = results.elements[0].str;
    ASSIGN_OR_RETURN(rows, RowsOf(results.elements[1]));
    ASSIGN_OR_RETURN(page.households, IntegerOf(results.elements[2]));
  } else {
    // A script runs atomically, so its side value goes with its rows as well.
    ASSIGN_OR_RETURN(Reply reply,
                     client.Eval(kPageScript, {board, side},
                                 {ScoreText(after->points), Member(after->household_id), wanted}));
    RETURN_IF_ERROR(ExpectArray(reply, 5));
    ASSIGN_OR_RETURN(start, IntegerOf(reply.elements[0]));
    ASSIGN_OR_RETURN(above_first, IntegerOf(reply.elements[1]));
    ASSIGN_OR_RETURN(page.households, IntegerOf(reply.elements[2]));
    read.side = reply.elements[3].str;
    ASSIGN_OR_RETURN(rows, RowsOf(reply.elements[4]));
  }
  if (static_cast<int>(rows.size()) > page_size) {
    page.has_more = true;
    rows.resize(page_size);
  }
  AssignRanks(rows, start, above_first);
  RETURN_IF_ERROR(FillVillages(key, rows));
  page.rows = std::move(rows);
  int64_t side_number = 0;
  if (!read.side.empty() && !absl::SimpleAtoi(read.side, &side_number)) {
    return absl::InternalError("redis: bad cursor value");
  }
  if (key.scope == BoardScope::kVillage || key.scope == BoardScope::kGroup) {
    page.applied_sequence = side_number;
  } else if (side_number > 0) {
    page.refreshed_at = absl::FromUnixMillis(side_number);
  }
  return read;
}

absl::StatusOr<StandingView> RedisBoardStore::ReadStanding(const BoardKey& key,
                                                           int64_t household_id, int neighbours) {
  ASSIGN_OR_RETURN(Reply reply,
                   pool_.Get().Eval(kStandingScript, {BoardKeyName(key), SideKeyName(key)},
                                    {Member(household_id), absl::StrCat(neighbours)}));
  RETURN_IF_ERROR(ExpectArray(reply, 6));
  StandingView view;
  ASSIGN_OR_RETURN(const int64_t position, IntegerOf(reply.elements[0]));
  ASSIGN_OR_RETURN(const int64_t from, IntegerOf(reply.elements[1]));
  ASSIGN_OR_RETURN(const int64_t above_first, IntegerOf(reply.elements[2]));
  ASSIGN_OR_RETURN(view.households, IntegerOf(reply.elements[3]));
  ASSIGN_OR_RETURN(view.applied_sequence, IntegerOf(reply.elements[4]));
  if (position < 0) return view;
  ASSIGN_OR_RETURN(std::vector<RankedRow> rows, RowsOf(reply.elements[5]));
  AssignRanks(rows, from, above_first);
  RETURN_IF_ERROR(FillVillages(key, rows));
  view.on_board = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t at = from + static_cast<int64_t>(i);
    if (at < position) {
      view.above.push_back(rows[i]);
    } else if (at == position) {
      view.row = rows[i];
    } else {
      view.below.push_back(rows[i]);
    }
  }
  return view;
}

absl::StatusOr<std::vector<RankedRow>> RedisBoardStore::ReadAll(const BoardKey& key) {
  ASSIGN_OR_RETURN(Reply reply,
                   pool_.Get().Command({"ZRANGE", BoardKeyName(key), "0", "-1", "WITHSCORES"}));
  ASSIGN_OR_RETURN(std::vector<RankedRow> rows, RowsOf(reply));
  AssignRanks(rows, 0, 0);
  RETURN_IF_ERROR(FillVillages(key, rows));
  return rows;
}

absl::StatusOr<VillageSnapshot> RedisBoardStore::ReadVillage(int64_t village_id) {
  const std::string tag = VillageTag(village_id);
  ASSIGN_OR_RETURN(
      Reply reply,
      pool_.Get().Eval(kVillageScript, {absl::StrCat(tag, "c"), absl::StrCat(tag, "i")}, {tag}));
  RETURN_IF_ERROR(ExpectArray(reply, 1));
  VillageSnapshot snapshot;
  ASSIGN_OR_RETURN(snapshot.applied_sequence, IntegerOf(reply.elements[0]));
  for (size_t i = 1; i + 1 < reply.elements.size(); i += 2) {
    const std::string& suffix = reply.elements[i].str;
    ASSIGN_OR_RETURN(std::vector<RankedRow> rows, RowsOf(reply.elements[i + 1]));
    absl::flat_hash_map<int64_t, int64_t>* target = nullptr;
    std::vector<std::string> parts = absl::StrSplit(suffix, absl::MaxSplits(':', 2));
    if (parts.size() == 3 && parts[0] == "d") {
      // Deduction sets hold net deduction points, stored as is (not negated): undo PointsOfScore.
      auto& by_household = snapshot.deductions[parts[1]][parts[2]];
      for (const RankedRow& row : rows) by_household[row.household_id] = -row.points;
      continue;
    }
    BoardKey key;
    key.village_id = village_id;
    absl::StatusOr<Period> period =
        parts.size() == 2 ? ParsePeriod(parts[1]) : absl::InvalidArgumentError("suffix");
    if (!period.ok()) continue;  // not ours; ignore rather than fail reconcile
    key.period = *period;
    if (parts[0] == "b") {
      key.scope = BoardScope::kVillage;
    } else if (parts[0].size() > 1 && parts[0][0] == 'g' &&
               absl::SimpleAtoi(parts[0].substr(1), &key.group_id)) {
      key.scope = BoardScope::kGroup;
    } else {
      continue;
    }
    target = &snapshot.boards[DescribeBoard(key)];
    for (const RankedRow& row : rows) (*target)[row.household_id] = row.points;
  }
  return snapshot;
}

absl::StatusOr<std::vector<int64_t>> RedisBoardStore::ListVillages() {
  ASSIGN_OR_RETURN(Reply reply,
                   pool_.Get().Command({"SMEMBERS", absl::StrCat(prefix_, "{g}:villages")}));
  if (reply.type != Reply::Type::kArray) return absl::InternalError("redis: SMEMBERS reply");
  std::vector<int64_t> villages;
  for (const Reply& element : reply.elements) {
    int64_t village = 0;
    if (absl::SimpleAtoi(element.str, &village)) villages.push_back(village);
  }
  return villages;
}

absl::Status RedisBoardStore::ReplaceAggregate(const BoardKey& key,
                                               const std::vector<RankedRow>& rows,
                                               absl::Time refreshed_at) {
  const std::string board = BoardKeyName(key);
  const std::string villages = absl::StrCat(board, ":villages");
  const std::string staging = absl::StrCat(board, ":staging");
  const std::string staging_villages = absl::StrCat(board, ":staging:villages");
  std::vector<std::vector<std::string>> commands = {{"DEL", staging, staging_villages}};
  constexpr size_t kRowsPerCommand = 1000;
  for (size_t i = 0; i < rows.size(); i += kRowsPerCommand) {
    std::vector<std::string> zadd = {"ZADD", staging};
    std::vector<std::string> hset = {"HSET", staging_villages};
    for (size_t k = i; k < std::min(rows.size(), i + kRowsPerCommand); ++k) {
      zadd.push_back(ScoreText(rows[k].points));
      zadd.push_back(Member(rows[k].household_id));
      hset.push_back(Member(rows[k].household_id));
      hset.push_back(absl::StrCat(rows[k].village_id));
    }
    commands.push_back(std::move(zadd));
    commands.push_back(std::move(hset));
  }
  // RENAME swaps the finished board in at once (the village map a moment later, which readers
  // tolerate: a missing village only leaves a name out); an empty board is simply deleted.
  if (rows.empty()) {
    commands.push_back({"DEL", board, villages});
  } else {
    commands.push_back({"RENAME", staging, board});
    commands.push_back({"RENAME", staging_villages, villages});
  }
  commands.push_back({"SET", SideKeyName(key), absl::StrCat(absl::ToUnixMillis(refreshed_at))});
  return pool_.Get().Pipeline(commands).status();
}

}  // namespace jifen::publicity
