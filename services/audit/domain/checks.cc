#include "services/audit/domain/checks.h"

#include <cctype>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"

namespace jifen::audit {
namespace {

int64_t IntValue(absl::string_view text, absl::string_view key, int64_t fallback) {
  std::vector<std::string> values = FindValues(text, key);
  int64_t value = 0;
  if (values.empty() || !absl::SimpleAtoi(values.front(), &value)) return fallback;
  return value;
}

}  // namespace

std::vector<std::string> FindValues(absl::string_view text, absl::string_view key) {
  std::vector<std::string> values;
  for (const std::string& marker : {absl::StrCat(key, "="), absl::StrCat("\"", key, "\":")}) {
    size_t at = 0;
    while ((at = text.find(marker, at)) != absl::string_view::npos) {
      // A whole key only: not the tail of a longer one ("xpoints=").
      const bool starts_word =
          at == 0 ||
          !(std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_');
      at += marker.size();
      if (!starts_word) continue;
      size_t end = at;
      if (at < text.size() && text[at] == '"') {
        end = text.find('"', at + 1);
        if (end == absl::string_view::npos) break;
        values.emplace_back(text.substr(at + 1, end - at - 1));
        continue;
      }
      while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != ';' &&
             text[end] != '}') {
        ++end;
      }
      values.emplace_back(text.substr(at, end - at));
    }
  }
  return values;
}

void ExtractFacts(const TrailRecord& record, Facts& facts) {
  const std::string evidence = absl::StrCat("audit:", record.sequence);
  const bool legacy_score = record.action == "create" && (record.object_type == "ledger_entry" ||
                                                          record.object_type == "inspection");
  const bool inspection =
      record.action == "submit_inspection" && record.object_type == "inspection";
  const bool approved_declaration =
      record.action == "approve_declaration" && record.object_type == "declaration";
  if (legacy_score || inspection || approved_declaration) {
    ScoreEvent event;
    event.evidence = evidence;
    event.village_id = record.village_id;
    event.scorer_user_id = record.actor_user_id;
    event.points = IntValue(record.after, "points", 1);
    // Scoring writes "household="; the older convention "household_id=".
    event.household_id =
        IntValue(record.after, "household", IntValue(record.after, "household_id", 0));
    event.at_ms = record.occurred_at_ms;
    event.photo_digests = FindValues(record.after, "photo");
    std::vector<std::string> steward = FindValues(record.after, "steward");
    if (!steward.empty()) event.steward_user_id = std::move(steward.front());
    event.scorer_is_member = IntValue(record.after, "scorer_member", 0) == 1;
    std::vector<std::string> period = FindValues(record.after, "period");
    if (!period.empty()) event.period = std::move(period.front());
    facts.scores.push_back(std::move(event));
  } else if (record.object_type == "order" &&
             (record.action == "confirm" || record.action == "create")) {
    facts.redemptions.push_back({evidence, record.village_id, record.occurred_at_ms});
  } else if (record.object_type == "window") {
    const int64_t ends_at_ms = IntValue(record.after, "ends_at_ms", 0);
    // Publicity names a window "window/<quarter>".
    absl::string_view period = record.object_id;
    if (!absl::ConsumePrefix(&period, "window/")) period = "";
    if (ends_at_ms > 0) {
      facts.window_closes.push_back({evidence, record.village_id, std::string(period), ends_at_ms});
    }
  }
}

namespace {

// CloseBursts once per distinct (village, quarter, closing time): the rule takes one close per
// village, while a village has a window every quarter. Only the deeds of the window's own quarter
// count (padding a quarter before it becomes final): the current quarter's daily work is no burst
// before an old quarter's window closes. Deeds whose records name no quarter (written before they
// did) count for every window, as they always did. Each flag also names the window's first record.
std::vector<FlagDraft> BurstsBeforeCloses(const Facts& facts) {
  std::map<int64_t, std::vector<const ScoreEvent*>> by_village;
  for (const ScoreEvent& event : facts.scores) by_village[event.village_id].push_back(&event);
  using CloseKey = std::tuple<int64_t, std::string, int64_t>;  // village, quarter, ends_at_ms
  std::map<CloseKey, std::string> closes;  // the first record naming each close
  for (const WindowClose& close : facts.window_closes) {
    closes.emplace(CloseKey{close.village_id, close.period, close.ends_at_ms}, close.evidence);
  }
  std::vector<FlagDraft> out;
  for (const auto& [key, window_evidence] : closes) {
    const auto& [village_id, period, ends_at_ms] = key;
    auto events = by_village.find(village_id);
    if (events == by_village.end()) continue;
    std::vector<ScoreEvent> of_quarter;
    for (const ScoreEvent* event : events->second) {
      if (event->period.empty() || period.empty() || event->period == period) {
        of_quarter.push_back(*event);
      }
    }
    for (FlagDraft& flag : CloseBursts(of_quarter, {{village_id, ends_at_ms}})) {
      flag.evidence.push_back(window_evidence);
      out.push_back(std::move(flag));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<CheckRun> RunChecks(TrailRepository& trail, const Hasher& hasher,
                                   int64_t after_sequence) {
  CheckRun run;
  ASSIGN_OR_RETURN(VerifyResult verified, VerifyTrail(trail, hasher, nullptr, 0));
  if (!verified.intact) {
    FlagDraft flag;
    flag.rule = "chain_broken";
    flag.subject = absl::StrCat("position ", verified.first_bad_position);
    flag.summary = verified.detail;
    flag.evidence.push_back(absl::StrCat("audit:", verified.first_bad_position));
    run.flags.push_back(std::move(flag));
  }
  Facts facts;
  RETURN_IF_ERROR(trail.Scan(after_sequence, [&](const TrailRecord& record) {
    ++run.records_examined;
    ExtractFacts(record, facts);
    return true;
  }));
  // Scorer -> household relations come with each award (its steward), so none are passed here.
  for (std::vector<FlagDraft> found :
       {PeerOutliers(facts.scores), SharedPhotos(facts.scores), SelfAwards(facts.scores, {}),
        BurstsBeforeCloses(facts), RedemptionSpikes(facts.redemptions)}) {
    for (FlagDraft& flag : found) run.flags.push_back(std::move(flag));
  }
  return run;
}

}  // namespace jifen::audit
