#include "services/audit/domain/checks.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
  if (record.action != "create") return;
  const std::string evidence = absl::StrCat("audit:", record.sequence);
  if (record.object_type == "ledger_entry" || record.object_type == "inspection") {
    ScoreEvent event;
    event.evidence = evidence;
    event.village_id = record.village_id;
    event.scorer_user_id = record.actor_user_id;
    event.points = IntValue(record.after, "points", 1);
    event.household_id = IntValue(record.after, "household_id", 0);
    event.at_ms = record.occurred_at_ms;
    event.photo_digests = FindValues(record.after, "photo");
    facts.scores.push_back(std::move(event));
  } else if (record.object_type == "order") {
    facts.redemptions.push_back({evidence, record.village_id, record.occurred_at_ms});
  }
}

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
  for (std::vector<FlagDraft> found : {PeerOutliers(facts.scores), SharedPhotos(facts.scores),
                                       RedemptionSpikes(facts.redemptions)}) {
    for (FlagDraft& flag : found) run.flags.push_back(std::move(flag));
  }
  return run;
}

}  // namespace jifen::audit
