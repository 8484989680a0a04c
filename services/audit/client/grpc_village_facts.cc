#include "services/audit/client/grpc_village_facts.h"

#include <algorithm>
#include <fstream>
#include <future>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "common/log/log.h"

namespace jifen::audit {
namespace {

constexpr int kMaxMessageBytes = 4 << 20;

absl::Status NotConfigured(const char* service) {
  return absl::UnavailableError(
      absl::StrCat("no --", service, "_address is configured for the audit service"));
}

// The failure as a checklist shows it to a person. Transport errors name addresses and
// resolver details, so they are logged here in full and shown by kind only; our services' own
// refusals (permission, not found, invalid) are already written for people.
absl::Status Failed(const char* what, const grpc::Status& status) {
  const absl::Status converted = grpc_util::FromGrpcStatus(status);
  log::Warning("backend call failed", {{"call", what}, {"error", converted.ToString()}});
  std::string reason;
  switch (converted.code()) {
    case absl::StatusCode::kUnavailable:
      reason = "the service is unreachable; ask again later";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      reason = "no answer within the deadline; ask again later";
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      reason = "the service failed; ask again later";
      break;
    default:
      reason = std::string(converted.message());
  }
  return absl::Status(converted.code(), absl::StrCat(what, ": ", reason));
}

}  // namespace

absl::StatusOr<std::string> ReadServiceToken(const std::string& path) {
  std::ifstream in(path);
  const std::string contents((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::string token(absl::StripAsciiWhitespace(contents));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        "--service_token_file must name a file holding the audit service's token");
  }
  return token;
}

GrpcVillageFacts::GrpcVillageFacts(VillageFactsOptions options) : options_(std::move(options)) {
  if (!options_.scoring_address.empty()) {
    scoring_ = scoring::v1::VillageStatisticsService::NewStub(
        grpc_util::NewChannel(options_.scoring_address, kMaxMessageBytes));
  }
  if (!options_.publicity_address.empty()) {
    auto channel = grpc_util::NewChannel(options_.publicity_address, kMaxMessageBytes);
    windows_ = publicity::v1::PublicityWindowService::NewStub(channel);
    boards_ = publicity::v1::BoardService::NewStub(channel);
  }
  if (!options_.redemption_address.empty()) {
    redemption_ = redemption::v1::RedemptionService::NewStub(
        grpc_util::NewChannel(options_.redemption_address, kMaxMessageBytes));
  }
}

absl::StatusOr<ScoringFacts> GrpcVillageFacts::Scoring(int64_t village_id, int year) {
  if (scoring_ == nullptr) return NotConfigured("scoring");
  scoring::v1::GetVillageStatisticsRequest request;
  request.set_village_id(village_id);
  request.set_year(year);
  scoring::v1::VillageStatistics response;
  auto context = grpc_util::NewClientContext(options_.timeout, options_.service_token);
  grpc::Status status = scoring_->GetVillageStatistics(context.get(), request, &response);
  if (!status.ok()) return Failed("scoring GetVillageStatistics", status);
  ScoringFacts facts;
  facts.town_id = response.town_id();
  facts.rulebook_published = response.rulebook().published();
  facts.rulebook_version = response.rulebook().version();
  facts.vote_recorded = response.rulebook().vote_recorded();
  facts.vote_valid = response.rulebook().vote_valid();
  facts.vote_problem = response.rulebook().vote_problem();
  facts.households_registered = response.households_registered();
  facts.households_opted_in = response.households_opted_in();
  for (const scoring::v1::QuarterStatistics& q : response.quarters()) {
    QuarterScoring quarter;
    quarter.period = q.period();
    quarter.households_scored = q.households_scored();
    quarter.households_never_scored = q.households_never_scored();
    quarter.households_in_registry = q.households_in_registry();
    quarter.never_scored_ids.assign(q.never_scored_household_ids().begin(),
                                    q.never_scored_household_ids().end());
    for (int b = 0; b < kPointsBuckets && b < q.distribution_size(); ++b) {
      quarter.distribution[b] = q.distribution(b).households();
    }
    facts.quarters.push_back(std::move(quarter));
  }
  facts.chain_intact = response.chain_intact();
  facts.chain_entries_checked = response.chain_entries_checked();
  facts.chain_first_bad_sequence = response.chain_first_bad_sequence();
  return facts;
}

absl::StatusOr<PublicityFacts> GrpcVillageFacts::Publicity(int64_t village_id, int year) {
  if (windows_ == nullptr) return NotConfigured("publicity");
  // Eight small calls share one deadline, so a hanging publicity costs one timeout, not eight.
  const absl::Time deadline = absl::Now() + options_.timeout;
  auto remaining = [&deadline] { return std::max(deadline - absl::Now(), absl::Milliseconds(1)); };
  PublicityFacts facts;
  for (int q = 1; q <= 4; ++q) {
    QuarterPublicity quarter;
    quarter.period = absl::StrCat(year, "Q", q);
    publicity::v1::GetWindowRequest request;
    request.set_village_id(village_id);
    request.set_period(quarter.period);
    publicity::v1::PublicityWindow window;
    auto context = grpc_util::NewClientContext(remaining(), options_.service_token);
    grpc::Status status = windows_->GetWindow(context.get(), request, &window);
    if (status.ok()) {
      quarter.window = static_cast<WindowState>(window.state());
      quarter.pending_objections = window.pending_objections();
    } else if (status.error_code() != grpc::StatusCode::NOT_FOUND) {
      return Failed("publicity GetWindow", status);  // NOT_FOUND: the quarter had no window
    }
    publicity::v1::GetRedBlackListsRequest lists_request;
    lists_request.set_village_id(village_id);
    lists_request.set_period(quarter.period);
    publicity::v1::RedBlackLists lists;
    auto lists_context = grpc_util::NewClientContext(remaining(), options_.service_token);
    status = boards_->GetRedBlackLists(lists_context.get(), lists_request, &lists);
    if (!status.ok()) return Failed("publicity GetRedBlackLists", status);
    quarter.red_count = lists.red_size();
    quarter.black_count = lists.black_size();
    facts.quarters.push_back(std::move(quarter));
  }
  return facts;
}

absl::StatusOr<RedemptionFacts> GrpcVillageFacts::Redemption(int64_t village_id, int year) {
  if (redemption_ == nullptr) return NotConfigured("redemption");
  redemption::v1::GetBudgetCheckRequest request;
  request.set_village_id(village_id);
  request.set_year(year);
  redemption::v1::BudgetCheck check;
  auto context = grpc_util::NewClientContext(options_.timeout, options_.service_token);
  grpc::Status status = redemption_->GetBudgetCheck(context.get(), request, &check);
  if (!status.ok()) return Failed("redemption GetBudgetCheck", status);
  RedemptionFacts facts;
  facts.budget_set = check.budget_set();
  facts.budget_fen = check.budget_fen();
  facts.previous_budget_set = check.previous_budget_set();
  facts.previous_budget_fen = check.previous_budget_fen();
  facts.not_lower_than_last_year = check.not_lower_than_last_year();
  facts.funding_committed_fen = check.funding_committed_fen();
  facts.donations_fen = check.donations_fen();
  facts.redeemed_value_fen = check.redeemed_value_fen();
  return facts;
}

AllFacts GrpcVillageFacts::All(int64_t village_id, int year) {
  auto scoring = std::async(std::launch::async, [&] { return Scoring(village_id, year); });
  auto publicity = std::async(std::launch::async, [&] { return Publicity(village_id, year); });
  absl::StatusOr<RedemptionFacts> redemption = Redemption(village_id, year);
  return {scoring.get(), publicity.get(), std::move(redemption)};
}

}  // namespace jifen::audit
