// Residents' WeChat bindings as village staff manage them: who is bound, and releasing a binding
// when a resident lost their phone or a phone was bound to the wrong member. A release is the one
// a member's new phone makes of their old binding (AccountStore::ReleaseBinding shares its path
// with RedeemInvitation): the phone signs in as no one from then on, its refresh tokens are spent,
// its access tokens are handed back for the revocation list, and the trail has the admin and their
// reason. The member is bound again by redeeming a new invitation.
//
// Nothing here returns an openid, its hash or a session key (BoundMember has none).
//
// Errors carry a leading code the HTTP layer shows to clients: BINDING_NOT_FOUND (NOT_FOUND, 404),
// BINDING_ALREADY_RELEASED (ALREADY_EXISTS, 409), REASON_TOO_LONG (INVALID_ARGUMENT, 400); a
// refusal of permission is PERMISSION_DENIED without a code of its own, as everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "services/gateway/auth/account_store.h"
#include "services/gateway/auth/staff_scope.h"

namespace jifen::gateway {

// A village has a few thousand members at most: a few pages of the largest.
inline constexpr int kBindingPageSizeDefault = 100;
inline constexpr int kBindingPageSizeMax = 500;
// Counted in characters (字), as the other reasons people type on a phone are.
inline constexpr int kReleaseReasonCharactersMax = 500;

struct BindingQuery {
  int64_t village_id = 0;    // required
  int64_t household_id = 0;  // optional filter; 0: every household of the village
  int page_size = 0;         // 1..kBindingPageSizeMax; 0: kBindingPageSizeDefault
  std::string page_token;    // "" for the first page; else the previous page's next_page_token
};

struct BindingPage {
  std::vector<BoundMember> bindings;  // active ones, in binding id order
  std::string next_page_token;        // "" on the last page
};

class ResidentBindings final {
 public:
  // `store` must outlive this object.
  explicit ResidentBindings(AccountStore* store) : store_(store) {}

  // Who may read a village's bindings at all: its village admin, town officials and district
  // roles (List then holds each to their own villages). PERMISSION_DENIED for everyone else.
  static absl::Status CheckReader(const auth::Caller& caller);
  // Who may release one: village admins (of their own village's bindings only, see Release).
  static absl::Status CheckReleaser(const auth::Caller& caller);

  // The village's active bindings, a page at a time. The village is the reader's own for a
  // village admin; one of their town for a town official, as scoring's registry says (`registry`
  // is asked under the official's own token); any for district roles. PERMISSION_DENIED for
  // another village (also one the registry does not know), INVALID_ARGUMENT naming the field for
  // a bad query; the registry's UNAVAILABLE as it is.
  absl::StatusOr<BindingPage> List(const auth::Caller& reader, const BindingQuery& query,
                                   ScopeRegistry& registry);

  // The village admin `admin` releases binding `binding_id` of their village at `now_ms`
  // (AccountStore::ReleaseBinding, audited with the admin as actor and `reason`, trimmed, at most
  // kReleaseReasonCharactersMax characters, may be empty). BINDING_NOT_FOUND for a binding of
  // another village or none (a foreign id says nothing about that village), and
  // BINDING_ALREADY_RELEASED for one released before.
  absl::StatusOr<BindingRelease> Release(const auth::Caller& admin, int64_t binding_id,
                                         absl::string_view reason, int64_t now_ms,
                                         int64_t alive_since_ms, absl::string_view request_id);

 private:
  AccountStore* store_;
};

}  // namespace jifen::gateway
