#include "services/redemption/handler/scoring_household_directory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "common/status/status_macros.h"

namespace jifen::redemption {
namespace {

namespace sv1 = ::jifen::scoring::v1;

constexpr int kPageSize = 500;  // the registry's largest page
// A village has a few thousand households at most; a listing that goes on past this is broken
// (a page token that never ends), not big.
constexpr int kPagesMax = 200;

}  // namespace

ScoringHouseholdDirectory::ScoringHouseholdDirectory(
    std::unique_ptr<sv1::RegistryService::StubInterface> stub, absl::Duration timeout)
    : stub_(std::move(stub)), timeout_(timeout) {}

absl::StatusOr<absl::flat_hash_map<int64_t, std::string>> ScoringHouseholdDirectory::GroupNames(
    int64_t village_id, const std::string& caller_token, const std::string& request_id) {
  sv1::ListVillagesRequest request;
  request.set_village_id(village_id);
  sv1::ListVillagesResponse response;
  auto context = grpc_util::NewClientContext(timeout_, caller_token, request_id);
  RETURN_IF_ERROR(
      grpc_util::FromGrpcStatus(stub_->ListVillages(context.get(), request, &response)));
  absl::flat_hash_map<int64_t, std::string> names;
  for (const sv1::Group& group : response.groups()) names[group.group_id()] = group.name();
  return names;
}

absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdLabel>>
ScoringHouseholdDirectory::VillageHouseholds(int64_t village_id, const std::string& caller_token,
                                             const std::string& request_id) {
  ASSIGN_OR_RETURN(const auto group_names, GroupNames(village_id, caller_token, request_id));
  // The village's listing, a page of 500 per call, rather than a GetHousehold per household: far
  // fewer calls, and no members or phone numbers cross the wire (GetHousehold sends them).
  absl::flat_hash_map<int64_t, HouseholdLabel> households;
  sv1::ListHouseholdsRequest request;
  request.set_village_id(village_id);
  request.set_page_size(kPageSize);
  for (int page = 0; page < kPagesMax; ++page) {
    sv1::ListHouseholdsResponse response;
    auto context = grpc_util::NewClientContext(timeout_, caller_token, request_id);
    RETURN_IF_ERROR(
        grpc_util::FromGrpcStatus(stub_->ListHouseholds(context.get(), request, &response)));
    for (const sv1::Household& household : response.households()) {
      const auto group = group_names.find(household.group_id());
      households[household.household_id()] =
          HouseholdLabel{group == group_names.end() ? std::string() : group->second,
                         household.house_number(), household.head_name()};
    }
    if (response.next_page_token().empty()) return households;
    request.set_page_token(response.next_page_token());
  }
  return absl::InternalError(absl::StrCat(
      "village ", village_id, ": the household listing went past ", kPagesMax, " pages"));
}

}  // namespace jifen::redemption
