#include "services/scoring/handler/village_statistics_service.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/domain/village_statistics.h"

namespace jifen::scoring {
namespace {

constexpr int kNeverScoredIdsDefault = 20;
constexpr int kNeverScoredIdsMax = 200;

absl::Status Validate(const v1::GetVillageStatisticsRequest& request) {
  if (request.village_id() <= 0) return absl::InvalidArgumentError("village_id is required");
  if (request.year() < 2000 || request.year() > 2100) {
    return absl::InvalidArgumentError("year must be between 2000 and 2100");
  }
  if (request.never_scored_ids_max() < 0 || request.never_scored_ids_max() > kNeverScoredIdsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("never_scored_ids_max must be 0..", kNeverScoredIdsMax));
  }
  return absl::OkStatus();
}

// Services and district roles read any village; town officials their town's; village admins
// their own. Other village roles have the boards and their own history instead.
absl::Status CheckReadable(const auth::Caller& caller, int64_t village_id, int64_t town_id) {
  if (caller.role == auth::Role::kTownOfficial || caller.IsService() || caller.IsDistrict()) {
    return CheckCanReadVillage(caller, village_id, town_id);
  }
  return CheckVillageAdmin(caller, village_id);
}

void FillRulebook(const std::vector<RulebookRecord>& records, v1::RulebookStatus* out) {
  std::vector<RulebookVersionFacts> versions;
  for (const RulebookRecord& r : records) {
    versions.push_back({r.version, r.state == kRulebookPublished, r.effective_from, r.vote});
  }
  const RulebookStatusFacts status = RulebookStatusOf(versions);
  out->set_published(status.published);
  out->set_version(status.version);
  out->set_effective_from(status.effective_from);
  out->set_vote_recorded(status.vote_recorded);
  out->set_vote_valid(status.vote_valid);
  out->set_vote_problem(status.vote_problem);
}

}  // namespace

absl::Status VillageStatisticsServiceImpl::Fill(const v1::GetVillageStatisticsRequest& request,
                                                v1::VillageStatistics* out) {
  const int ids_max =
      request.never_scored_ids_max() == 0 ? kNeverScoredIdsDefault : request.never_scored_ids_max();
  ASSIGN_OR_RETURN(const VillageHouseholdFacts households,
                   statistics_.Households(request.village_id()));
  out->set_households_registered(households.registered);
  out->set_households_opted_in(households.opted_in);
  ASSIGN_OR_RETURN(const std::vector<RulebookRecord> rulebooks,
                   rulebooks_.List(request.village_id(), request.year()));
  FillRulebook(rulebooks, out->mutable_rulebook());
  for (int quarter = 1; quarter <= 4; ++quarter) {
    const std::string period = absl::StrCat(request.year(), "Q", quarter);
    ASSIGN_OR_RETURN(const QuarterScores scores, statistics_.Quarter(request.village_id(), period));
    v1::QuarterStatistics* q = out->add_quarters();
    q->set_period(period);
    q->set_households_scored(static_cast<int64_t>(scores.household_scores.size()));
    int64_t buckets[kPointsBuckets] = {};
    std::vector<int64_t> scored;
    for (const auto& [household, score] : scores.household_scores) {
      scored.push_back(household);
      ++buckets[PointsBucketOf(score)];
    }
    std::sort(scored.begin(), scored.end());
    ASSIGN_OR_RETURN(const PeriodBounds bounds, BoundsOf(period));
    const std::vector<int64_t> registered =
        RegisteredBefore(households.households, absl::ToUnixMillis(bounds.end));
    // A household scored in the quarter was part of it even if registered later (a deed entered
    // afterwards); one registered later and not scored was not.
    std::vector<int64_t> roster;
    std::set_union(registered.begin(), registered.end(), scored.begin(), scored.end(),
                   std::back_inserter(roster));
    q->set_households_in_registry(static_cast<int64_t>(roster.size()));
    const NeverScored never = NeverScoredHouseholds(registered, scored, ids_max);
    q->set_households_never_scored(never.count);
    for (int64_t id : never.first_ids) q->add_never_scored_household_ids(id);
    for (int b = 0; b < kPointsBuckets; ++b) {
      v1::PointsBucket* bucket = q->add_distribution();
      bucket->set_label(PointsBucketLabel(b));
      bucket->set_households(buckets[b]);
    }
    q->set_awards_points(scores.awards_points);
    q->set_deductions_points(scores.deductions_points);
  }
  ASSIGN_OR_RETURN(const ChainReport chain, ledger_.VerifyChain(request.village_id()));
  out->set_chain_intact(chain.intact);
  out->set_chain_entries_checked(chain.entries_checked);
  out->set_chain_first_bad_sequence(chain.intact ? 0 : chain.first_bad_sequence);
  return absl::OkStatus();
}

grpc::Status VillageStatisticsServiceImpl::GetVillageStatistics(
    grpc::ServerContext* context, const v1::GetVillageStatisticsRequest* request,
    v1::VillageStatistics* response) {
  return context_.calls->Serve(context, "GetVillageStatistics", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(Validate(*request));
    // The town is needed for the scope check, and an unknown village is NOT_FOUND only for
    // callers who could read it if it existed (district roles and services).
    absl::StatusOr<VillageHouseholdFacts> village = statistics_.Households(request->village_id());
    const int64_t town_id = village.ok() ? village->town_id : 0;
    RETURN_IF_ERROR(CheckReadable(caller, request->village_id(), town_id));
    RETURN_IF_ERROR(village.status());
    response->set_village_id(request->village_id());
    response->set_town_id(town_id);
    response->set_year(request->year());
    RETURN_IF_ERROR(Fill(*request, response));
    response->set_computed_at_ms(absl::ToUnixMillis(absl::Now()));
    return absl::OkStatus();
  });
}

}  // namespace jifen::scoring
