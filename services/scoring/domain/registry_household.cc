#include "services/scoring/domain/registry_household.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/registry_privacy.h"

namespace jifen::scoring {

absl::StatusOr<HouseholdWithMembers> CleanHouseholdDraft(const HouseholdDraft& draft,
                                                         absl::string_view today) {
  // Each refusal is led by the request field it is about (CreateHouseholdRequest's "household"
  // and "members"), so that the gateway can name it.
  if (draft.village_id <= 0) return absl::InvalidArgumentError("household.village_id: 必填");
  if (draft.group_id <= 0) return absl::InvalidArgumentError("household.group_id: 必填");
  if (draft.grid_id < 0) return absl::InvalidArgumentError("household.grid_id: 不能为负数");
  if (!draft.registered.has_value()) {
    return absl::InvalidArgumentError("household.kind: 户籍类型必填：本村或非本村");
  }
  HouseholdWithMembers clean;
  HouseholdRecord& record = clean.household.record;
  record.village_id = draft.village_id;
  record.group_id = draft.group_id;
  record.grid_id = draft.grid_id;
  record.registered = *draft.registered;
  record.rents_out_rooms = draft.rents_out_rooms;
  ASSIGN_OR_RETURN(record.house_number,
                   WithField("household.house_number", CleanHouseNumber(draft.house_number)));
  ASSIGN_OR_RETURN(record.head_name,
                   WithField("household.head_name", CleanName(draft.head_name, "户主姓名")));
  ASSIGN_OR_RETURN(record.steward_user_id, WithField("household.steward_user_id",
                                                     CleanUserId(draft.steward_user_id, "户管家")));
  if (!TrimSpaces(draft.consent_date).empty()) {
    ASSIGN_OR_RETURN(
        clean.household.consent_date,
        WithField("household.consent_date", NormalizeConsentDate(draft.consent_date, today)));
  } else if (!record.registered) {
    return absl::InvalidArgumentError("household.consent_date: 非本村居民须填写同意日期");
  }
  if (draft.members.size() > static_cast<size_t>(kMembersPerHouseholdMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("members: 一户最多", kMembersPerHouseholdMax, "名成员"));
  }
  // By the database's comparison of names: "Tom" and "tom" can't both be stored.
  std::set<std::string> name_keys;
  int heads = 0;
  for (size_t i = 0; i < draft.members.size(); ++i) {
    const HouseholdDraft::Member& draft_member = draft.members[i];
    const std::string field = absl::StrCat("members[", i, "]");
    MemberRecord member;
    ASSIGN_OR_RETURN(member.name, WithField(absl::StrCat(field, ".name"),
                                            CleanName(draft_member.name, "成员姓名")));
    if (!name_keys.insert(NameKey(member.name)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name: 成员“", member.name, "”重复（姓名不区分英文字母大小写）"));
    }
    if (!TrimSpaces(draft_member.phone).empty()) {
      ASSIGN_OR_RETURN(member.phone, WithField(absl::StrCat(field, ".phone"),
                                               NormalizePhone(draft_member.phone)));
    }
    member.is_head = draft_member.is_head;
    ASSIGN_OR_RETURN(member.staff_user_id,
                     WithField(absl::StrCat(field, ".staff_user_id"),
                               CleanUserId(draft_member.staff_user_id, "成员工作账号")));
    heads += member.is_head ? 1 : 0;
    if (heads > 1) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".is_head: 只能有一名成员是户主"));
    }
    clean.members.push_back(std::move(member));
  }
  if (heads == 0) {  // the member named as the head, letter case aside (NameKey)
    for (MemberRecord& member : clean.members) {
      member.is_head = NameKey(member.name) == NameKey(record.head_name);
    }
  }
  return clean;
}

}  // namespace jifen::scoring
