// Publicity windows (公示期) and objections (异议): the rules. Storage is behind WindowRepository
// (MariaDB in storage/), scoring behind LedgerCommands.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/publicity/domain/late_entries.h"
#include "services/publicity/domain/ports.h"
#include "services/publicity/domain/red_black.h"

namespace jifen::publicity {

// Stored states; "closed" is derived: kOpen after ends_at.
enum class StoredWindowState { kOpen, kSettling, kSettled };
enum class WindowState { kOpen, kClosed, kSettling, kSettled };

struct WindowRecord {
  int64_t village_id = 0;
  std::string period;  // "YYYYQn"
  absl::Time starts_at;
  absl::Time ends_at;
  std::string opened_by_user_id;
  StoredWindowState stored_state = StoredWindowState::kOpen;
  int64_t pending_objections = 0;  // pending + upholding; filled on reads
  absl::Time settled_at = absl::InfinitePast();
  int64_t households_credited = 0;
  int64_t points_credited = 0;
  // Why scoring last refused to settle the closed window ("WORK_PENDING: ..."); "" otherwise.
  std::string settlement_waiting_for;
};

WindowState StateAt(const WindowRecord& window, absl::Time now);

// The end `window` must be moved to so that it lasts until `object_until` (late_entries.h), or
// nullopt when it already does or can no longer move (settled). A settling window can: scoring
// refuses to settle its quarter while an entry is that recent, so nothing has become final.
std::optional<absl::Time> ExtendedEnd(const WindowRecord& window, absl::Time object_until);

enum class ObjectionStatus { kPending, kUpholding, kUpheld, kRejected };

struct ObjectionRecord {
  int64_t objection_id = 0;  // assigned by the repository
  int64_t village_id = 0;
  std::string period;
  int64_t household_id = 0;
  int64_t entry_sequence = 0;
  std::string reason;
  std::string filed_by_user_id;
  absl::Time filed_at;
  ObjectionStatus status = ObjectionStatus::kPending;
  std::string resolution_reason;
  std::string resolved_by_user_id;
  absl::Time resolved_at = absl::InfinitePast();
  int64_t correction_sequence = 0;
};

// One audit-trail record, written by the repository in the same transaction as the change.
struct AuditEvent {
  std::string action;  // "window.open", "objection.file", "objection.resolve", "window.settle", ...
  std::string actor_user_id;
  std::string actor_role;
  int64_t village_id = 0;
  std::string subject;
  std::string before;  // short text of the state before ("" when created)
  std::string after;
  absl::Time at;
  std::string request_id;  // the request that made the change; "" for the service's own work
};

// The audit record ("window.extend", by the service) of moving `window`'s end to `new_end` because
// of `deadline`'s entry; `after` carries ends_at_ms= like every window record, for audit's
// close_burst rule.
AuditEvent ExtensionAudit(const WindowRecord& window, const WindowDeadline& deadline,
                          absl::Time new_end, absl::Time now);

class WindowRepository {
 public:
  virtual ~WindowRepository() = default;
  // ALREADY_EXISTS if the village already has a window for the period.
  virtual absl::Status CreateWindow(const WindowRecord& window, const AuditEvent& audit) = 0;
  virtual absl::StatusOr<std::optional<WindowRecord>> GetWindow(int64_t village_id,
                                                                const std::string& period) = 0;
  // Inserts `objection` if its window exists and is open at `now`, checked under a lock on the
  // window row so that a settlement can't start in between. FAILED_PRECONDITION when there is no
  // open window; ALREADY_EXISTS when the entry already has an objection. Returns it with its id.
  virtual absl::StatusOr<ObjectionRecord> FileObjection(const ObjectionRecord& objection,
                                                        absl::Time now, AuditEvent audit) = 0;
  virtual absl::StatusOr<std::optional<ObjectionRecord>> GetObjection(int64_t objection_id) = 0;
  // Writes status, resolution fields and correction_sequence of `update` if the stored status is
  // one of `from`; FAILED_PRECONDITION otherwise. Returns the stored record after the change.
  virtual absl::StatusOr<ObjectionRecord> TransitionObjection(
      const ObjectionRecord& update, const std::vector<ObjectionStatus>& from,
      const AuditEvent& audit) = 0;
  // Oldest first, at most `limit`. household_id 0: all households.
  virtual absl::StatusOr<std::vector<ObjectionRecord>> ListObjections(int64_t village_id,
                                                                      const std::string& period,
                                                                      int64_t household_id,
                                                                      int limit) = 0;
  virtual absl::StatusOr<std::vector<ObjectionRecord>> ListUpholding(int limit) = 0;
  // Windows ended at `now` with nothing pending are moved to settling (under the window row lock);
  // returns them together with windows left in settling earlier (e.g. by a crash).
  virtual absl::StatusOr<std::vector<WindowRecord>> ClaimSettleable(absl::Time now, int limit) = 0;
  virtual absl::Status MarkSettled(int64_t village_id, const std::string& period,
                                   const Settlement& settlement, absl::Time at,
                                   const AuditEvent& audit) = 0;
  // Records why the settling window waits (`reason`, as scoring said it). Returns whether it
  // changed, so that a wait is logged once, not on every round.
  virtual absl::StatusOr<bool> NoteSettlementWaiting(int64_t village_id, const std::string& period,
                                                     const std::string& reason) = 0;
  // Late entries push their quarters' windows out: in one transaction, every window of `deadlines`
  // that ExtendedEnd says must move is moved under its row lock (a settling one is open again),
  // each with its ExtensionAudit; if any moved, the window feed's position becomes
  // `through_sequence`. Returns the windows as changed.
  virtual absl::StatusOr<std::vector<WindowRecord>> ExtendWindows(
      const std::vector<WindowDeadline>& deadlines, int64_t through_sequence, absl::Time now) = 0;
  // The ledger sequence through which late entries have been applied to windows (0 at first);
  // saving never moves it back.
  virtual absl::StatusOr<int64_t> WindowFeedPosition() = 0;
  virtual absl::Status SaveWindowFeedPosition(int64_t through_sequence) = 0;
  // The village's rules, or the defaults (ListRules{} with village_id) if it never set any.
  virtual absl::StatusOr<ListRules> GetListRules(int64_t village_id) = 0;
  virtual absl::Status PutListRules(const ListRules& rules, const AuditEvent& audit) = 0;
};

// Reasons (objection, resolution) are counted in characters (字), as the VARCHAR(500) columns
// count them: a byte limit let 501..2000 bytes through to a database refusal.
inline constexpr int kReasonCharactersMax = 500;
inline constexpr absl::Duration kWindowLengthMin = absl::Hours(24);
inline constexpr absl::Duration kWindowLengthMax = absl::Hours(24 * 90);

class PublicityWindows final {
 public:
  using Clock = std::function<absl::Time()>;
  // `min_time_to_object`: how much of a window must still lie ahead when it is opened, and how
  // long after an entry is recorded its quarter can't be settled (late_entries.h), so that
  // residents get the chance to object before the quarter becomes final; zero turns both off
  // (for loading past quarters' windows into a new installation).
  PublicityWindows(WindowRepository& repository, LedgerCommands& ledger, VillageDirectory& villages,
                   Clock clock, absl::Duration min_time_to_object = kWindowLengthMin);

  absl::StatusOr<WindowRecord> OpenWindow(const auth::Caller& caller, int64_t village_id,
                                          const std::string& period, absl::Time starts_at,
                                          absl::Time ends_at);
  absl::StatusOr<WindowRecord> GetWindow(const auth::Caller& caller, int64_t village_id,
                                         const std::string& period);
  // A resident's objection to a score entry (not a reversal) of their own household while the
  // window of its quarter is open. INVALID_ARGUMENT for a blank reason or one over
  // kReasonCharactersMax characters (REASON_TOO_LONG), PERMISSION_DENIED for another household's
  // entry, FAILED_PRECONDITION outside the window, ALREADY_EXISTS for a second objection to the
  // entry (a retry of the same one returns it).
  absl::StatusOr<ObjectionRecord> FileObjection(const auth::Caller& caller, int64_t entry_sequence,
                                                const std::string& reason);
  // The village admin upholds (scoring reverses the entry) or rejects an objection. The reason is
  // required when rejecting and optional when upholding, at most kReasonCharactersMax characters
  // either way (INVALID_ARGUMENT). FAILED_PRECONDITION if it was resolved the other way.
  absl::StatusOr<ObjectionRecord> ResolveObjection(const auth::Caller& caller, int64_t objection_id,
                                                   bool uphold, const std::string& reason);
  absl::StatusOr<std::vector<ObjectionRecord>> ListObjections(const auth::Caller& caller,
                                                              int64_t village_id,
                                                              const std::string& period,
                                                              int64_t household_id);

  // Background work, run periodically by the service: finishes upheld objections whose reversal
  // was interrupted, then settles every window that is due, asking scoring to refuse while the
  // quarter has an entry recorded less than min_time_to_object before the window's end (it stays
  // settling until WindowFollower has moved the end out for it). Returns the first error (the rest
  // is still attempted); settled windows are counted in *settled. A window scoring refuses for
  // pending work (WORK_PENDING) is no failure: the reason is noted on the window
  // (settlement_waiting_for) and, when it changed, described in *new_waits (may be null).
  absl::Status RunDueWork(int* settled, std::vector<std::string>* new_waits = nullptr);

 private:
  absl::StatusOr<ObjectionRecord> FinishUphold(ObjectionRecord objection, const AuditEvent& audit);

  WindowRepository& repository_;
  LedgerCommands& ledger_;
  VillageDirectory& villages_;
  Clock clock_;
  absl::Duration min_time_to_object_;
};

}  // namespace jifen::publicity
