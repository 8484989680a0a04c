#include "services/scoring/storage/mysql_personal_data_views.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/state_digest.h"
#include "common/mysql/transaction.h"
#include "services/scoring/storage/audit_outbox.h"

namespace jifen::scoring {
namespace {

constexpr absl::string_view kEllipsis = "…";
constexpr size_t kTokenIdShownMax = 64;

// "101-120,131": ids are mostly consecutive (members and households are numbered as they are
// registered), so ranges name a page of hundreds in a few bytes.
std::vector<std::string> IdRanges(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> ranges;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    ranges.push_back(j == i ? absl::StrCat(ids[i]) : absl::StrCat(ids[i], "-", ids[j]));
    i = j + 1;
  }
  return ranges;
}

// `facts` then " <label>=<n>" with the first and last id and as many id ranges as keep the state
// inline (a longer one would reach the trail as a bare digest).
std::string WithIds(std::string facts, absl::string_view label, const std::vector<int64_t>& ids) {
  absl::StrAppend(&facts, " ", label, "=", ids.size());
  if (ids.empty()) return facts;
  const auto [low, high] = std::minmax_element(ids.begin(), ids.end());
  absl::StrAppend(&facts, " first=", *low, " last=", *high, " ids=");
  const std::vector<std::string> ranges = IdRanges(ids);
  const std::string all = absl::StrJoin(ranges, ",");
  if (facts.size() + all.size() <= audit::kMaxInlineStateBytes) return facts + all;
  std::string shown;
  for (const std::string& range : ranges) {
    const size_t more = (shown.empty() ? 0 : 1) + range.size();
    if (facts.size() + shown.size() + more + kEllipsis.size() > audit::kMaxInlineStateBytes) break;
    if (!shown.empty()) shown += ",";
    shown += range;
  }
  return absl::StrCat(facts, shown, kEllipsis);
}

}  // namespace

audit::AuditFacts PersonalDataViewAudit(const RegistryActor& viewer,
                                        const FullPersonalDataView& view) {
  const bool one_household = view.household_id != 0;
  std::string facts = absl::StrCat(
      "rpc=", view.rpc, " fields=", one_household ? "head_name,member_names,phones" : "head_name",
      " token=", absl::string_view(view.token_id).substr(0, kTokenIdShownMax));
  if (!one_household) {
    absl::StrAppend(&facts, " group=", view.group_id, " grid=", view.grid_id);
  }
  std::string after = one_household ? WithIds(std::move(facts), "members", view.member_ids)
                                    : WithIds(std::move(facts), "households", view.household_ids);
  return {view.village_id,
          viewer.user_id,
          viewer.role,
          "view_personal_data",
          one_household ? "household" : "village",
          absl::StrCat(one_household ? view.household_id : view.village_id),
          "",
          AuditState(after)};
}

absl::Status MySqlPersonalDataViewLog::Record(const RegistryActor& viewer,
                                              const FullPersonalDataView& view) {
  const audit::AuditFacts facts = PersonalDataViewAudit(viewer, view);
  return mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    return RecordAudit(connection, facts, AuditOrigin{viewer.request_id});
  });
}

}  // namespace jifen::scoring
