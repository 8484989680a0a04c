#include "services/gateway/auth/account_store.h"

#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jifen::gateway {

AuditContext CallerContext(const auth::Caller& caller, absl::string_view request_id) {
  return AuditContext{caller.user_id, std::string(auth::RoleName(caller.role)),
                      std::string(request_id)};
}

AuditContext SystemContext(absl::string_view request_id) {
  return AuditContext{"", "system", std::string(request_id)};
}

AuditContext OperatorContext(absl::string_view operator_name) {
  return AuditContext{std::string(operator_name), "operator", ""};
}

std::string StaffUserId(int64_t account_id) { return absl::StrCat("staff-", account_id); }

std::string ResidentUserId(int64_t member_id) { return absl::StrCat("member-", member_id); }

int64_t StaffAccountIdOf(absl::string_view user_id) {
  int64_t account_id = 0;
  if (!absl::ConsumePrefix(&user_id, "staff-") || !absl::SimpleAtoi(user_id, &account_id) ||
      account_id <= 0 || StaffUserId(account_id) != absl::StrCat("staff-", user_id)) {
    return 0;
  }
  return account_id;
}

}  // namespace jifen::gateway
