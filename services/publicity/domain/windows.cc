#include "services/publicity/domain/windows.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/text/text.h"
#include "services/publicity/domain/access.h"
#include "services/publicity/domain/period.h"

namespace jifen::publicity {
namespace {

absl::string_view StatusName(ObjectionStatus status) {
  switch (status) {
    case ObjectionStatus::kPending:
      return "pending";
    case ObjectionStatus::kUpholding:
      return "upholding";
    case ObjectionStatus::kUpheld:
      return "upheld";
    case ObjectionStatus::kRejected:
      return "rejected";
  }
  return "?";
}

// Residents type reasons in Chinese on a phone: the limit they are told, and the column's, is in
// characters, and a reason the column can't hold must be refused here, not by the database.
absl::Status CheckReasonLength(absl::string_view reason) {
  const int characters = text::Utf8Length(reason);
  if (characters < 0) return absl::InvalidArgumentError("reason: not valid UTF-8 text");
  if (characters > kReasonCharactersMax) {
    return absl::InvalidArgumentError(absl::StrCat("REASON_TOO_LONG: reason: at most ",
                                                   kReasonCharactersMax, " characters (字), got ",
                                                   characters));
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(const std::string& reason, absl::string_view why_required) {
  // A reason of spaces tells the household nothing, and a resolution can't be changed later;
  // Chinese input methods type the full-width space (U+3000), which is as blank as ' '.
  if (text::IsBlank(reason)) {
    return absl::InvalidArgumentError(absl::StrCat("reason: required, ", why_required));
  }
  return CheckReasonLength(reason);
}

AuditEvent Audit(const auth::Caller& caller, absl::string_view action, int64_t village_id,
                 std::string subject, absl::Time at) {
  AuditEvent event;
  event.action = std::string(action);
  event.actor_user_id = caller.user_id;
  event.actor_role = std::string(auth::RoleName(caller.role));
  event.village_id = village_id;
  event.subject = std::move(subject);
  event.at = at;
  event.request_id = caller.request_id;
  return event;
}

std::string ObjectionSubject(int64_t id) { return absl::StrCat("objection/", id); }

}  // namespace

WindowState StateAt(const WindowRecord& window, absl::Time now) {
  switch (window.stored_state) {
    case StoredWindowState::kSettled:
      return WindowState::kSettled;
    case StoredWindowState::kSettling:
      return WindowState::kSettling;
    case StoredWindowState::kOpen:
      return now < window.ends_at ? WindowState::kOpen : WindowState::kClosed;
  }
  return WindowState::kOpen;
}

std::optional<absl::Time> ExtendedEnd(const WindowRecord& window, absl::Time object_until) {
  if (window.stored_state == StoredWindowState::kSettled || window.ends_at >= object_until) {
    return std::nullopt;
  }
  return object_until;
}

AuditEvent ExtensionAudit(const WindowRecord& window, const WindowDeadline& deadline,
                          absl::Time new_end, absl::Time now) {
  auth::Caller system;
  system.user_id = "publicity";
  system.role = auth::Role::kService;
  AuditEvent event = Audit(system, "window.extend", window.village_id,
                           absl::StrCat("window/", window.period), now);
  event.before = absl::StrCat(
      window.stored_state == StoredWindowState::kSettling ? "settling" : "open", " until ",
      absl::FormatTime(window.ends_at), " ends_at_ms=", absl::ToUnixMillis(window.ends_at));
  event.after =
      absl::StrCat("open until ", absl::FormatTime(new_end), ": entry ", deadline.entry_sequence,
                   " recorded at ", absl::FormatTime(deadline.recorded_at),
                   " ends_at_ms=", absl::ToUnixMillis(new_end));
  return event;
}

PublicityWindows::PublicityWindows(WindowRepository& repository, LedgerCommands& ledger,
                                   VillageDirectory& villages, Clock clock,
                                   absl::Duration min_time_to_object)
    : repository_(repository),
      ledger_(ledger),
      villages_(villages),
      clock_(std::move(clock)),
      min_time_to_object_(min_time_to_object) {}

absl::StatusOr<WindowRecord> PublicityWindows::OpenWindow(const auth::Caller& caller,
                                                          int64_t village_id,
                                                          const std::string& period,
                                                          absl::Time starts_at,
                                                          absl::Time ends_at) {
  RETURN_IF_ERROR(CheckVillageAdmin(caller, village_id));
  ASSIGN_OR_RETURN(const Period quarter, ParseQuarter(period));
  if (ends_at - starts_at < kWindowLengthMin || ends_at - starts_at > kWindowLengthMax) {
    return absl::InvalidArgumentError("a window lasts from one day to 90 days");
  }
  if (ends_at < quarter.End()) {
    // Settlement happens when the window ends, and scoring settles only finished quarters.
    return absl::InvalidArgumentError(
        absl::StrCat("the window must not end before the quarter ", period, " does"));
  }
  const absl::Time now = clock_();
  // A window is for objections: residents must have some of it still ahead of them, or the
  // quarter would become final without anyone having had the chance.
  if (min_time_to_object_ > absl::ZeroDuration() &&
      ends_at - std::max(starts_at, now) < min_time_to_object_) {
    return absl::InvalidArgumentError(
        absl::StrCat("ends_at_ms: the window must leave residents at least ",
                     absl::FormatDuration(min_time_to_object_), " from now to object"));
  }
  WindowRecord window;
  window.village_id = village_id;
  window.period = quarter.Name();
  window.starts_at = starts_at;
  window.ends_at = ends_at;
  window.opened_by_user_id = caller.user_id;
  AuditEvent audit =
      Audit(caller, "window.open", village_id, absl::StrCat("window/", window.period), now);
  // ends_at_ms= is for audit's close_burst rule (services/audit/domain/checks.h): the closing
  // time as a number it can read, beside the readable range.
  audit.after = absl::StrCat("open ", absl::FormatTime(starts_at), " .. ", absl::FormatTime(ends_at),
                             " ends_at_ms=", absl::ToUnixMillis(ends_at));
  RETURN_IF_ERROR(repository_.CreateWindow(window, audit));
  return window;
}

absl::StatusOr<WindowRecord> PublicityWindows::GetWindow(const auth::Caller& caller,
                                                         int64_t village_id,
                                                         const std::string& period) {
  RETURN_IF_ERROR(CheckVillageRead(caller, village_id, villages_));
  ASSIGN_OR_RETURN(const Period quarter, ParseQuarter(period));
  ASSIGN_OR_RETURN(std::optional<WindowRecord> window,
                   repository_.GetWindow(village_id, quarter.Name()));
  if (!window.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("village ", village_id, " has no publicity window for ", period));
  }
  return *window;
}

absl::StatusOr<ObjectionRecord> PublicityWindows::FileObjection(const auth::Caller& caller,
                                                                int64_t entry_sequence,
                                                                const std::string& reason) {
  if (caller.role != auth::Role::kResident || caller.household_id == 0) {
    return absl::PermissionDeniedError("only a resident may object, for their own household");
  }
  if (entry_sequence <= 0) return absl::InvalidArgumentError("entry_sequence is required");
  RETURN_IF_ERROR(ValidateReason(reason, "the village admin needs to know what is wrong"));
  ASSIGN_OR_RETURN(std::optional<BoardEntry> entry,
                   ledger_.FindEntry(caller.household_id, entry_sequence));
  if (!entry.has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("entry ", entry_sequence,
                     " is not an entry of your household; you may object only to "
                     "your own household's entries"));
  }
  if (!IsObjectable(*entry)) {
    return absl::FailedPreconditionError(
        "only score entries that are not themselves reversals can be objected to");
  }
  const absl::Time now = clock_();
  ObjectionRecord objection;
  objection.village_id = entry->village_id;
  objection.period = entry->period;
  objection.household_id = entry->household_id;
  objection.entry_sequence = entry_sequence;
  objection.reason = reason;
  objection.filed_by_user_id = caller.user_id;
  objection.filed_at = now;
  AuditEvent audit = Audit(caller, "objection.file", entry->village_id,
                           absl::StrCat("entry/", entry_sequence), now);
  audit.after = "pending";
  absl::StatusOr<ObjectionRecord> filed =
      repository_.FileObjection(objection, now, std::move(audit));
  if (!absl::IsAlreadyExists(filed.status())) return filed;
  // A phone that retries what it sent gets the objection it made; anything else is refused.
  ASSIGN_OR_RETURN(const std::vector<ObjectionRecord> existing,
                   repository_.ListObjections(entry->village_id, entry->period,
                                              caller.household_id, 1000));
  for (const ObjectionRecord& earlier : existing) {
    if (earlier.entry_sequence == entry_sequence && earlier.filed_by_user_id == caller.user_id &&
        earlier.reason == reason) {
      return earlier;
    }
  }
  return filed.status();
}

absl::StatusOr<ObjectionRecord> PublicityWindows::FinishUphold(ObjectionRecord objection,
                                                               const AuditEvent& audit) {
  // Scoring refuses a blank reversal reason: a blank optional reason gets the default.
  const std::string reason = text::IsBlank(objection.resolution_reason)
                                 ? absl::StrCat("异议成立 (objection ", objection.objection_id, ")")
                                 : objection.resolution_reason;
  // Under the uphold's request id, so that scoring's record of the reversal joins this one.
  absl::StatusOr<int64_t> correction = ledger_.ReverseEntry(
      objection.entry_sequence, absl::StrCat("objection-", objection.objection_id), reason,
      audit.request_id);
  // The admin may have corrected the entry directly meanwhile: what the objection asked for is
  // done, and only finishing it here lets the quarter settle (it would stay "upholding" for ever,
  // every retry refused the same way).
  const bool reversed_before =
      absl::IsFailedPrecondition(correction.status()) &&
      absl::StartsWith(correction.status().message(), "ALREADY_REVERSED");
  if (!correction.ok() && !reversed_before) return correction.status();
  objection.status = ObjectionStatus::kUpheld;
  objection.correction_sequence = reversed_before ? 0 : *correction;
  AuditEvent done = audit;
  done.before = "upholding";
  done.after = reversed_before ? absl::StrCat("upheld; the entry had already been reversed (",
                                              correction.status().message(), ")")
                               : absl::StrCat("upheld, correction entry ", *correction);
  return repository_.TransitionObjection(objection, {ObjectionStatus::kUpholding}, done);
}

absl::StatusOr<ObjectionRecord> PublicityWindows::ResolveObjection(const auth::Caller& caller,
                                                                   int64_t objection_id,
                                                                   bool uphold,
                                                                   const std::string& reason) {
  if (objection_id <= 0) return absl::InvalidArgumentError("objection_id is required");
  if (uphold) {
    RETURN_IF_ERROR(CheckReasonLength(reason));
  } else {
    RETURN_IF_ERROR(ValidateReason(reason, "when rejecting: the household is told why"));
  }
  ASSIGN_OR_RETURN(std::optional<ObjectionRecord> stored, repository_.GetObjection(objection_id));
  if (!stored.has_value()) {
    return absl::NotFoundError(absl::StrCat("no objection ", objection_id));
  }
  // Admins of another village learn nothing about this objection but "denied".
  RETURN_IF_ERROR(CheckVillageAdmin(caller, stored->village_id));
  const absl::Time now = clock_();
  AuditEvent audit =
      Audit(caller, "objection.resolve", stored->village_id, ObjectionSubject(objection_id), now);
  audit.before = std::string(StatusName(stored->status));

  if (uphold && stored->status == ObjectionStatus::kUpheld) return *stored;  // a retry
  if (!uphold && stored->status == ObjectionStatus::kRejected) return *stored;
  if (stored->status == ObjectionStatus::kUpheld || stored->status == ObjectionStatus::kRejected ||
      (!uphold && stored->status == ObjectionStatus::kUpholding)) {
    return absl::FailedPreconditionError(
        absl::StrCat("objection ", objection_id, " is already ", StatusName(stored->status)));
  }
  ObjectionRecord update = *stored;
  // An optional reason of spaces is no reason: the record shows none rather than blanks.
  update.resolution_reason = text::IsBlank(reason) ? "" : reason;
  update.resolved_by_user_id = caller.user_id;
  update.resolved_at = now;
  if (!uphold) {
    update.status = ObjectionStatus::kRejected;
    audit.after = absl::StrCat("rejected: ", reason);
    return repository_.TransitionObjection(update, {ObjectionStatus::kPending}, audit);
  }
  // Intent first: if the process dies after scoring reversed the entry, RunDueWork (or a retry)
  // repeats the reversal under the same correction id, which scoring answers idempotently.
  update.status = ObjectionStatus::kUpholding;
  audit.after = "upholding";
  ASSIGN_OR_RETURN(ObjectionRecord upholding,
                   repository_.TransitionObjection(
                       update, {ObjectionStatus::kPending, ObjectionStatus::kUpholding}, audit));
  return FinishUphold(std::move(upholding), audit);
}

absl::StatusOr<std::vector<ObjectionRecord>> PublicityWindows::ListObjections(
    const auth::Caller& caller, int64_t village_id, const std::string& period,
    int64_t household_id) {
  RETURN_IF_ERROR(CheckVillageRead(caller, village_id, villages_));
  ASSIGN_OR_RETURN(const Period quarter, ParseQuarter(period));
  if (caller.role == auth::Role::kResident) {
    household_id = caller.household_id;  // never another household's objections
  } else if (caller.role == auth::Role::kGridWorker || caller.role == auth::Role::kAssessor) {
    return absl::PermissionDeniedError("objections are for residents and village admins");
  }
  return repository_.ListObjections(village_id, quarter.Name(), household_id, 1000);
}

absl::Status PublicityWindows::RunDueWork(int* settled, std::vector<std::string>* new_waits) {
  absl::Status first_error;
  const auto note = [&](const absl::Status& status) {
    if (!status.ok() && first_error.ok()) first_error = status;
  };
  auth::Caller system;
  system.user_id = "publicity";
  system.role = auth::Role::kService;
  const absl::Time now = clock_();

  absl::StatusOr<std::vector<ObjectionRecord>> upholding = repository_.ListUpholding(100);
  note(upholding.status());
  if (upholding.ok()) {
    for (ObjectionRecord& objection : *upholding) {
      AuditEvent audit = Audit(system, "objection.resolve", objection.village_id,
                               ObjectionSubject(objection.objection_id), now);
      note(FinishUphold(std::move(objection), audit).status());
    }
  }

  absl::StatusOr<std::vector<WindowRecord>> due = repository_.ClaimSettleable(now, 100);
  note(due.status());
  if (due.ok()) {
    for (const WindowRecord& window : *due) {
      // An entry recorded after this had less than min_time_to_object of the window to be objected
      // to: scoring refuses while there is one, and WindowFollower opens the window again for it
      // (it may not have seen the entry yet: it follows the stream, which lags the ledger).
      const absl::Time refuse_recorded_after = min_time_to_object_ > absl::ZeroDuration()
                                                   ? window.ends_at - min_time_to_object_
                                                   : absl::InfiniteFuture();
      absl::StatusOr<Settlement> settlement =
          ledger_.SettlePeriod(window.village_id, window.period, refuse_recorded_after);
      if (!settlement.ok()) {
        // Pending declarations or an open evaluation round hold the quarter until the admin has
        // dealt with them: a wait to show on the window (logged when it changes), not a failure.
        if (absl::IsFailedPrecondition(settlement.status()) &&
            absl::StartsWith(settlement.status().message(), "WORK_PENDING")) {
          absl::StatusOr<bool> changed = repository_.NoteSettlementWaiting(
              window.village_id, window.period, std::string(settlement.status().message()));
          note(changed.status());
          if (changed.ok() && *changed && new_waits != nullptr) {
            new_waits->push_back(absl::StrCat("village ", window.village_id, " ", window.period,
                                              ": ", settlement.status().message()));
          }
          continue;
        }
        note(settlement.status());
        continue;  // stays settling; retried next round (scoring settles once per period)
      }
      AuditEvent audit = Audit(system, "window.settle", window.village_id,
                               absl::StrCat("window/", window.period), now);
      audit.before = "settling";
      audit.after = absl::StrCat("settled: ", settlement->households_credited, " households, ",
                                 settlement->points_credited, " points; ends_at_ms=",
                                 absl::ToUnixMillis(window.ends_at));
      const absl::Status marked =
          repository_.MarkSettled(window.village_id, window.period, *settlement, now, audit);
      note(marked);
      if (marked.ok() && settled != nullptr) ++*settled;
    }
  }
  return first_error;
}

}  // namespace jifen::publicity
