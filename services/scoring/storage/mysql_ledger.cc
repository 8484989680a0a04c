#include "services/scoring/storage/mysql_ledger.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/declaration_rules.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/storage/audit_outbox.h"
#include "services/scoring/storage/ledger_audit.h"
#include "services/scoring/storage/ledger_hash.h"
#include "services/scoring/storage/score_sums_sql.h"

namespace jifen::scoring {
namespace {

using mysql::GetString;
using mysql::Statement;

// ReadEntry reads these by position: keep the two in step.
constexpr char kEntryColumns[] =
    "village_id, sequence, household_id, group_id, account, points, period, item_code, category, "
    "reason, source, source_id, COALESCE(reverses_sequence, 0) AS reverses, actor_user_id, "
    "actor_role, occurred_at_ms, recorded_at_ms, prev_hash, hash";

// By position in kEntryColumns: a replay reads millions of rows, and looking a column up by name
// costs the connector about as much as reading it.
StoredEntry ReadEntry(sql::ResultSet& rows) {
  StoredEntry entry;
  entry.village_id = rows.getInt64(1);
  entry.sequence = rows.getInt64(2);
  entry.household_id = rows.getInt64(3);
  entry.group_id = rows.getInt64(4);
  entry.account = static_cast<Account>(rows.getInt(5));
  entry.points = rows.getInt64(6);
  entry.period = rows.getString(7).asStdString();
  entry.item_code = rows.getString(8).asStdString();
  entry.category = rows.getString(9).asStdString();
  entry.reason = rows.getString(10).asStdString();
  entry.source = static_cast<EntrySource>(rows.getInt(11));
  entry.source_id = rows.getString(12).asStdString();
  entry.reverses_sequence = rows.getInt64(13);
  entry.actor_user_id = rows.getString(14).asStdString();
  entry.actor_role = rows.getString(15).asStdString();
  entry.occurred_at_ms = rows.getInt64(16);
  entry.recorded_at_ms = rows.getInt64(17);
  entry.prev_hash = rows.getString(18).asStdString();
  entry.hash = rows.getString(19).asStdString();
  return entry;
}

std::vector<StoredEntry> ReadEntries(sql::ResultSet& rows) {
  std::vector<StoredEntry> entries;
  while (rows.next()) entries.push_back(ReadEntry(rows));
  return entries;
}

absl::StatusOr<int64_t> LockedWalletBalance(sql::Connection& connection, int64_t household_id) {
  auto rows = Statement(connection,
                        "SELECT balance_points FROM wallets WHERE household_id = ? FOR UPDATE")
                  .Bind(household_id)
                  .Query();
  return rows->next() ? rows->getInt64(1) : 0;
}

// The household's wallet right after its entry `sequence`: the sum of its wallet entries up to it.
// A household's wallet entries are appended under its village's lock, so in sequence order.
absl::StatusOr<int64_t> WalletBalanceAfter(sql::Connection& connection, int64_t household_id,
                                           int64_t sequence) {
  auto rows = Statement(connection,
                        "SELECT CAST(COALESCE(SUM(points), 0) AS SIGNED) FROM ledger_entries "
                        "WHERE household_id = ? AND account = 2 AND sequence <= ?")
                  .Bind(household_id).Bind(sequence)
                  .Query();
  return rows->next() ? rows->getInt64(1) : 0;
}

// The household's score of the period as the caches hold it now (0 without a row).
absl::StatusOr<int64_t> PeriodScore(sql::Connection& connection, int64_t household_id,
                                    const std::string& period) {
  auto rows = Statement(connection,
                        "SELECT score FROM period_scores WHERE household_id = ? AND period = ?")
                  .Bind(household_id).Bind(period)
                  .Query();
  return rows->next() ? rows->getInt64(1) : 0;
}

// household id -> wallet balance.
using WalletBalances = std::map<int64_t, int64_t>;

// Every wallet of the village. A plain read: it runs under the village's head lock, which every
// wallet change of the village holds, and after the transaction's first plain read, so it sees
// every earlier commit.
absl::StatusOr<WalletBalances> VillageWalletBalances(sql::Connection& connection,
                                                     int64_t village_id) {
  auto rows = Statement(connection,
                        "SELECT household_id, balance_points FROM wallets WHERE village_id = ?")
                  .Bind(village_id)
                  .Query();
  WalletBalances balances;
  while (rows->next()) balances[rows->getInt64(1)] = rows->getInt64(2);
  return balances;
}

// Applies one entry to the caches kept beside the ledger.
absl::Status ApplyToCaches(sql::Connection& connection, const NewEntry& entry) {
  if (entry.account == Account::kScore) {
    Statement(connection,
              "INSERT INTO period_scores (village_id, household_id, period, score) "
              "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE score = score + VALUES(score)")
        .Bind(entry.village_id).Bind(entry.household_id).Bind(entry.period).Bind(entry.points)
        .Update();
    return absl::OkStatus();
  }
  if (entry.points < 0) {
    // A conditional update, not read-modify-write: REPEATABLE READ would not see a concurrent
    // debit, the row lock of the UPDATE does.
    const int updated = Statement(connection,
                                  "UPDATE wallets SET balance_points = balance_points + ? "
                                  "WHERE household_id = ? AND balance_points >= ?")
                            .Bind(entry.points).Bind(entry.household_id).Bind(-entry.points)
                            .Update();
    if (updated == 0) {
      ASSIGN_OR_RETURN(const int64_t balance,
                       LockedWalletBalance(connection, entry.household_id));
      return absl::FailedPreconditionError(absl::StrCat(
          "WALLET_INSUFFICIENT: the wallet holds ", balance, " points, ", -entry.points,
          " are needed"));
    }
    return absl::OkStatus();
  }
  Statement(connection,
            "INSERT INTO wallets (village_id, household_id, balance_points) VALUES (?, ?, ?) "
            "ON DUPLICATE KEY UPDATE balance_points = balance_points + VALUES(balance_points)")
      .Bind(entry.village_id).Bind(entry.household_id).Bind(entry.points)
      .Update();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VillageHead> MySqlLedger::LockVillage(sql::Connection& connection,
                                                     int64_t village_id) {
  constexpr char kLockHead[] =
      "SELECT head_sequence, head_hash, entries FROM ledger_heads WHERE village_id = ? FOR UPDATE";
  auto rows = Statement(connection, kLockHead).Bind(village_id).Query();
  if (!rows->next()) {
    // A village's first entry. The upsert takes the row's exclusive lock directly (an INSERT
    // IGNORE would take a shared lock first and invite deadlocks when two writers upgrade at once);
    // writers that met the gap together are retried by RunInTransaction.
    rows.reset();
    Statement(connection,
              "INSERT INTO ledger_heads (village_id, head_sequence, head_hash, entries) "
              "VALUES (?, 0, '', 0) ON DUPLICATE KEY UPDATE village_id = village_id")
        .Bind(village_id)
        .Update();
    rows = Statement(connection, kLockHead).Bind(village_id).Query();
    if (!rows->next()) return absl::InternalError("ledger head vanished");
  }
  VillageHead head;
  head.village_id = village_id;
  head.head_sequence = rows->getInt64(1);
  head.head_hash = rows->getString(2).asStdString();
  head.entries = rows->getInt64(3);
  return head;
}

absl::StatusOr<std::vector<StoredEntry>> MySqlLedger::Append(sql::Connection& connection,
                                                            VillageHead& head,
                                                            const std::vector<NewEntry>& entries,
                                                            LedgerSequencer::Ticket& ticket) {
  std::vector<StoredEntry> stored;
  const int64_t recorded_at_ms = absl::ToUnixMillis(absl::Now());
  for (const NewEntry& entry : entries) {
    if (entry.village_id != head.village_id) {
      return absl::InternalError("entry appended under another village's head");
    }
    RETURN_IF_ERROR(ApplyToCaches(connection, entry));
    StoredEntry row;
    static_cast<NewEntry&>(row) = entry;
    row.recorded_at_ms = recorded_at_ms;
    row.prev_hash = head.head_hash;
    row.hash = ChainHash(head.head_hash, entry, recorded_at_ms);
    auto inserted =
        Statement(connection,
              "INSERT INTO ledger_entries (village_id, household_id, group_id, account, points, "
              "period, item_code, category, reason, source, source_id, reverses_sequence, "
              "actor_user_id, actor_role, occurred_at_ms, recorded_at_ms, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING sequence")
        .Bind(entry.village_id).Bind(entry.household_id).Bind(entry.group_id)
        .Bind(static_cast<int>(entry.account)).Bind(entry.points).Bind(entry.period)
        .Bind(entry.item_code).Bind(entry.category).Bind(entry.reason)
        .Bind(static_cast<int>(entry.source)).Bind(entry.source_id)
        .BindIdOrNull(entry.reverses_sequence).Bind(entry.actor_user_id).Bind(entry.actor_role)
        .Bind(entry.occurred_at_ms).Bind(recorded_at_ms).Bind(row.prev_hash).Bind(row.hash)
        .Query();
    if (!inserted->next()) return absl::InternalError("the ledger insert returned no sequence");
    row.sequence = inserted->getInt64(1);
    head.head_sequence = row.sequence;
    head.head_hash = row.hash;
    ++head.entries;
    stored.push_back(std::move(row));
  }
  if (!stored.empty()) {
    ticket.Allocated(stored.front().sequence, stored.back().sequence);
    Statement(connection,
              "UPDATE ledger_heads SET head_sequence = ?, head_hash = ?, entries = ? "
              "WHERE village_id = ?")
        .Bind(head.head_sequence).Bind(head.head_hash).Bind(head.entries).Bind(head.village_id)
        .Update();
  }
  return stored;
}

namespace {

// A quarter becomes final only with nothing pending (domain.md): a self-declaration filed for it
// and not yet reviewed, or a mutual-evaluation round of it still open, could never be scored
// after settlement. Run under the village lock, which declarations and rounds also take, so none
// can be filed between this look and the settlement.
absl::Status CheckNoWorkPending(sql::Connection& connection, int64_t village_id,
                                const std::string& period) {
  ASSIGN_OR_RETURN(const PeriodBounds bounds, BoundsOf(period));
  auto declarations = Statement(connection,
                                "SELECT COUNT(*) FROM declarations WHERE village_id = ? "
                                "AND state = ? AND occurred_at_ms >= ? AND occurred_at_ms < ?")
                          .Bind(village_id)
                          .Bind(static_cast<int>(DeclarationState::kPending))
                          .Bind(absl::ToUnixMillis(bounds.start))
                          .Bind(absl::ToUnixMillis(bounds.end))
                          .Query();
  const int64_t pending = declarations->next() ? declarations->getInt64(1) : 0;
  auto rounds = Statement(connection,
                          "SELECT COUNT(*) FROM evaluation_rounds "
                          "WHERE village_id = ? AND period = ? AND NOT closed")
                    .Bind(village_id).Bind(period)
                    .Query();
  const int64_t open = rounds->next() ? rounds->getInt64(1) : 0;
  if (pending == 0 && open == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "WORK_PENDING: ", period, " has ", pending, " self-declaration(s) awaiting review and ",
      open, " open evaluation round(s); review and close them before it can be settled"));
}

}  // namespace

absl::StatusOr<bool> MySqlLedger::IsSettled(sql::Connection& connection, int64_t village_id,
                                            const std::string& period) {
  auto rows = Statement(connection,
                        "SELECT 1 FROM settlements WHERE village_id = ? AND period = ?")
                  .Bind(village_id).Bind(period)
                  .Query();
  return rows->next();
}

absl::StatusOr<std::map<std::string, int64_t>> MySqlLedger::ItemTotals(
    sql::Connection& connection, int64_t household_id, const std::string& period) {
  auto rows = Statement(connection,
                        "SELECT item_code, ABS(SUM(points)) AS moved FROM ledger_entries "
                        "WHERE household_id = ? AND period = ? AND account = 1 "
                        "GROUP BY item_code")
                  .Bind(household_id).Bind(period)
                  .Query();
  std::map<std::string, int64_t> totals;
  while (rows->next()) totals[GetString(*rows, "item_code")] = rows->getInt64("moved");
  return totals;
}

absl::StatusOr<std::vector<StoredEntry>> MySqlLedger::FindBySource(sql::Connection& connection,
                                                                  EntrySource source,
                                                                  const std::string& source_id,
                                                                  int64_t village_id) {
  const std::string query = absl::StrCat(
      "SELECT ", kEntryColumns, " FROM ledger_entries WHERE source = ? AND source_id = ?",
      village_id != 0 ? " AND village_id = ?" : "", " ORDER BY sequence");
  Statement statement(connection, query.c_str());
  statement.Bind(static_cast<int>(source)).Bind(source_id);
  if (village_id != 0) statement.Bind(village_id);
  auto rows = statement.Query();
  return ReadEntries(*rows);
}

absl::StatusOr<std::optional<StoredEntry>> MySqlLedger::FindBySequence(
    sql::Connection& connection, int64_t sequence, bool for_update) {
  const std::string query =
      absl::StrCat("SELECT ", kEntryColumns, " FROM ledger_entries WHERE sequence = ?",
                   for_update ? " LOCK IN SHARE MODE" : "");
  auto rows = Statement(connection, query.c_str()).Bind(sequence).Query();
  if (!rows->next()) return std::optional<StoredEntry>();
  return std::optional<StoredEntry>(ReadEntry(*rows));
}

absl::StatusOr<MySqlLedger::WalletMove> MySqlLedger::Debit(
    int64_t village_id, int64_t household_id, int64_t group_id, int64_t points,
    const std::string& order_id, const std::string& reason, const LedgerActor& actor) {
  if (points <= 0) return absl::InvalidArgumentError("points must be > 0");
  if (order_id.empty() || order_id.size() > 80) {
    return absl::InvalidArgumentError("order_id is required (at most 80 characters)");
  }
  WalletMove result;
  // A refusal is committed (its record must outlive the answer), so it travels out of the
  // transaction beside the status rather than as the body's error, which would roll it back.
  absl::Status refusal;
  LedgerSequencer::Ticket ticket = sequencer_.Begin();
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    refusal = absl::OkStatus();
    ASSIGN_OR_RETURN(VillageHead head, LockVillage(connection, village_id));
    ASSIGN_OR_RETURN(std::vector<StoredEntry> earlier,
                     FindBySource(connection, EntrySource::kRedemption, order_id));
    if (!earlier.empty()) {
      const StoredEntry& first = earlier.front();
      if (first.household_id != household_id || first.points != -points) {
        return absl::AlreadyExistsError(absl::StrCat(
            "ORDER_ID_REUSED: order ", order_id, " was debited with another household or amount"));
      }
      result.entry = first;
      // The first answer again (a retry after it was lost): the wallet as that debit left it, not
      // as later debits, refunds or settlements have made it since.
      ASSIGN_OR_RETURN(result.balance_points,
                       WalletBalanceAfter(connection, household_id, first.sequence));
      return absl::OkStatus();
    }
    // Every wallet change of the village holds the village lock taken above, so the balance read
    // here is the one the debit would meet.
    auto refused = Statement(connection,
                             "SELECT household_id, points, balance_points FROM debit_refusals "
                             "WHERE village_id = ? AND order_id = ?")
                       .Bind(village_id)
                       .Bind(order_id)
                       .Query();
    if (refused->next()) {
      if (refused->getInt64(1) != household_id || refused->getInt64(2) != points) {
        return absl::AlreadyExistsError(absl::StrCat(
            "ORDER_ID_REUSED: order ", order_id, " was refused with another household or amount"));
      }
      refusal = absl::FailedPreconditionError(
          absl::StrCat("WALLET_INSUFFICIENT: the wallet held ", refused->getInt64(3), " points, ",
                       points, " were needed (order ", order_id, " was refused before)"));
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(const int64_t balance, LockedWalletBalance(connection, household_id));
    if (balance < points) {
      Statement(connection,
                "INSERT INTO debit_refusals (village_id, order_id, household_id, points, "
                "balance_points, refused_at_ms) VALUES (?, ?, ?, ?, ?, ?)")
          .Bind(village_id)
          .Bind(order_id)
          .Bind(household_id)
          .Bind(points)
          .Bind(balance)
          .Bind(absl::ToUnixMillis(absl::Now()))
          .Update();
      refusal = absl::FailedPreconditionError(absl::StrCat(
          "WALLET_INSUFFICIENT: the wallet holds ", balance, " points, ", points, " are needed"));
      return absl::OkStatus();
    }
    NewEntry entry;
    entry.village_id = village_id;
    entry.household_id = household_id;
    entry.group_id = group_id;
    entry.account = Account::kWallet;
    entry.points = -points;
    entry.reason = reason.empty() ? "积分兑换" : reason;
    entry.source = EntrySource::kRedemption;
    entry.source_id = order_id;
    entry.actor_user_id = actor.user_id;
    entry.actor_role = actor.role;
    entry.occurred_at_ms = absl::ToUnixMillis(absl::Now());
    ASSIGN_OR_RETURN(std::vector<StoredEntry> stored, Append(connection, head, {entry}, ticket));
    result.entry = stored.front();
    ASSIGN_OR_RETURN(result.balance_points, LockedWalletBalance(connection, household_id));
    return RecordAudit(connection, WalletDebitAudit(actor, result.entry, result.balance_points),
                       AuditOrigin{actor.request_id});
  }));
  if (!refusal.ok()) return refusal;
  return result;
}

absl::StatusOr<MySqlLedger::WalletMove> MySqlLedger::Refund(const std::string& order_id,
                                                           const std::string& reason,
                                                           const LedgerActor& actor) {
  if (order_id.empty()) return absl::InvalidArgumentError("order_id is required");
  // Find the debit first to learn its village, then lock the village and look again.
  absl::StatusOr<std::vector<StoredEntry>> debits;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    debits = FindBySource(connection, EntrySource::kRedemption, order_id);
    return debits.status();
  }));
  if (debits->empty()) {
    return absl::NotFoundError(absl::StrCat("ORDER_NOT_DEBITED: order ", order_id,
                                            " has no debit to refund"));
  }
  const StoredEntry debit = debits->front();
  WalletMove result;
  LedgerSequencer::Ticket ticket = sequencer_.Begin();
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    ASSIGN_OR_RETURN(VillageHead head, LockVillage(connection, debit.village_id));
    ASSIGN_OR_RETURN(std::vector<StoredEntry> refunds,
                     FindBySource(connection, EntrySource::kRefund, order_id));
    const bool refunding = refunds.empty();
    if (refunding) {
      NewEntry entry = debit;
      entry.points = -debit.points;
      entry.reason = reason.empty() ? "兑换取消退回" : reason;
      entry.source = EntrySource::kRefund;
      entry.actor_user_id = actor.user_id;
      entry.actor_role = actor.role;
      entry.occurred_at_ms = absl::ToUnixMillis(absl::Now());
      ASSIGN_OR_RETURN(refunds, Append(connection, head, {entry}, ticket));
    }
    result.entry = refunds.front();
    ASSIGN_OR_RETURN(result.balance_points, LockedWalletBalance(connection, debit.household_id));
    if (!refunding) return absl::OkStatus();
    return RecordAudit(connection,
                       WalletRefundAudit(actor, result.entry, debit, result.balance_points),
                       AuditOrigin{actor.request_id});
  }));
  return result;
}

absl::StatusOr<StoredEntry> MySqlLedger::Reverse(int64_t sequence,
                                                 const std::string& correction_id,
                                                 const std::string& reason,
                                                 const LedgerActor& actor) {
  absl::StatusOr<std::optional<StoredEntry>> target;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    target = FindBySequence(connection, sequence, false);
    return target.status();
  }));
  if (!target->has_value()) {
    return absl::NotFoundError(absl::StrCat("entry ", sequence, " does not exist"));
  }
  const StoredEntry original = **target;
  if (original.account != Account::kScore) {
    return absl::FailedPreconditionError(absl::StrCat(
        "NOT_REVERSIBLE: entry ", sequence,
        " is a wallet movement (settlement, redemption or "
        "refund); only score entries are corrected, a redemption is given back by cancelling "
        "its order"));
  }
  if (original.source == EntrySource::kCorrection) {
    return absl::FailedPreconditionError(absl::StrCat(
        "REVERSAL_NOT_REVERSIBLE: entry ", sequence, " is itself the reversal of entry ",
        original.reverses_sequence, "; a reversal is never reversed, score the deed again"));
  }
  StoredEntry result;
  LedgerSequencer::Ticket ticket = sequencer_.Begin();
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    ASSIGN_OR_RETURN(VillageHead head, LockVillage(connection, original.village_id));
    // The key is the village's own: another village's correction of the same id is none of this
    // caller's business, and must neither refuse this one nor be shown to it.
    ASSIGN_OR_RETURN(std::vector<StoredEntry> same,
                     FindBySource(connection, EntrySource::kCorrection, correction_id,
                                  original.village_id));
    if (!same.empty()) {
      const StoredEntry& earlier = same.front();
      if (earlier.reverses_sequence != sequence) {
        return absl::AlreadyExistsError(absl::StrCat(
            "CORRECTION_ID_REUSED: correction ", correction_id, " already reversed entry ",
            earlier.reverses_sequence, ", not entry ", sequence));
      }
      // Same key, different payload: answering the first reversal would tell the caller their
      // reason was recorded when the household reads another.
      if (earlier.reason != reason) {
        return absl::AlreadyExistsError(absl::StrCat("CORRECTION_ID_REUSED: correction ",
                                                     correction_id, " reversed entry ", sequence,
                                                     " with another reason"));
      }
      result = earlier;
      return absl::OkStatus();
    }
    auto existing = Statement(connection,
                              "SELECT sequence FROM ledger_entries WHERE reverses_sequence = ?")
                        .Bind(sequence)
                        .Query();
    if (existing->next()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ALREADY_REVERSED: entry ", sequence, " was reversed by entry ", existing->getInt64(1)));
    }
    ASSIGN_OR_RETURN(const bool settled,
                     IsSettled(connection, original.village_id, original.period));
    if (settled) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PERIOD_FINAL: ", original.period, " is settled; its entries can no longer change"));
    }
    NewEntry entry = original;
    entry.points = -original.points;
    entry.reason = reason;
    entry.source = EntrySource::kCorrection;
    entry.source_id = correction_id;
    entry.reverses_sequence = sequence;
    entry.actor_user_id = actor.user_id;
    entry.actor_role = actor.role;
    ASSIGN_OR_RETURN(std::vector<StoredEntry> stored, Append(connection, head, {entry}, ticket));
    result = stored.front();
    ASSIGN_OR_RETURN(const int64_t score,
                     PeriodScore(connection, original.household_id, original.period));
    return RecordAudit(connection, ReversalAudit(actor, original, result, score),
                       AuditOrigin{actor.request_id});
  }));
  return result;
}

absl::StatusOr<SettlementResult> MySqlLedger::Settle(int64_t village_id, const std::string& period,
                                                     const LedgerActor& actor,
                                                     int64_t refuse_recorded_after_ms) {
  SettlementResult result;
  LedgerSequencer::Ticket ticket = sequencer_.Begin();
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    result = SettlementResult();
    ASSIGN_OR_RETURN(VillageHead head, LockVillage(connection, village_id));
    // A repeat answers with the settlement that was made: its caller (publicity, after dying
    // before it recorded the first answer, or a second instance) records these numbers.
    auto made = Statement(connection,
                          "SELECT households_credited, points_credited FROM settlements "
                          "WHERE village_id = ? AND period = ?")
                    .Bind(village_id).Bind(period)
                    .Query();
    if (made->next()) {
      result.households_credited = made->getInt64("households_credited");
      result.points_credited = made->getInt64("points_credited");
      result.already_settled = true;
      return absl::OkStatus();
    }
    if (refuse_recorded_after_ms > 0) {
      // Under the village lock every entry of the period has committed or waits to be refused
      // as PERIOD_FINAL: none can slip in between this look and the settlement.
      auto late = Statement(connection,
                            "SELECT sequence, recorded_at_ms FROM ledger_entries "
                            "WHERE village_id = ? AND period = ? AND account = 1 "
                            "AND reverses_sequence IS NULL AND recorded_at_ms > ? "
                            "ORDER BY recorded_at_ms DESC LIMIT 1")
                      .Bind(village_id).Bind(period).Bind(refuse_recorded_after_ms)
                      .Query();
      if (late->next()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "LATE_ENTRIES: entry ", late->getInt64(1), " of ", period, " was recorded at ",
            late->getInt64(2), " ms, after ", refuse_recorded_after_ms,
            " ms: its household has not yet had its time to object"));
      }
    }
    RETURN_IF_ERROR(CheckNoWorkPending(connection, village_id, period));
    auto rows = Statement(connection,
                          "SELECT p.household_id, p.score, "
                          "(SELECT e.group_id FROM ledger_entries e WHERE e.household_id = "
                          "p.household_id ORDER BY e.sequence DESC LIMIT 1) AS group_id "
                          "FROM period_scores p WHERE p.village_id = ? AND p.period = ? "
                          "AND p.score > 0 ORDER BY p.household_id")
                    .Bind(village_id).Bind(period)
                    .Query();
    std::vector<NewEntry> credits;
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    while (rows->next()) {
      NewEntry entry;
      entry.village_id = village_id;
      entry.household_id = rows->getInt64("household_id");
      entry.group_id = rows->getInt64("group_id");
      entry.account = Account::kWallet;
      entry.points = rows->getInt64("score");
      entry.period = period;
      entry.reason = absl::StrCat(period, " 积分结算入账");
      entry.source = EntrySource::kSettlement;
      entry.source_id = absl::StrCat(village_id, "/", period);
      entry.actor_user_id = actor.user_id;
      entry.actor_role = actor.role;
      entry.occurred_at_ms = now_ms;
      result.points_credited += entry.points;
      credits.push_back(std::move(entry));
    }
    result.households_credited = static_cast<int64_t>(credits.size());
    ASSIGN_OR_RETURN(const WalletBalances balances,
                     VillageWalletBalances(connection, village_id));
    ASSIGN_OR_RETURN(const std::vector<StoredEntry> stored,
                     Append(connection, head, credits, ticket));
    Statement(connection,
              "INSERT INTO settlements (village_id, period, households_credited, points_credited, "
              "settled_at_ms, actor_user_id) VALUES (?, ?, ?, ?, ?, ?)")
        .Bind(village_id).Bind(period).Bind(result.households_credited)
        .Bind(result.points_credited).Bind(now_ms).Bind(actor.user_id)
        .Update();
    std::vector<SettlementCredit> written;
    written.reserve(stored.size());
    for (const StoredEntry& entry : stored) {
      const auto balance = balances.find(entry.household_id);
      written.push_back({entry, balance == balances.end() ? 0 : balance->second});
    }
    std::vector<outbox::NewRecord> records;
    for (const audit::AuditFacts& facts : SettlementAudit(actor, village_id, period, written)) {
      records.push_back(
          {village_id, kAuditTopic, AuditRecordBytes(facts, AuditOrigin{actor.request_id})});
    }
    return outbox::AppendAll(connection, records);
  }));
  return result;
}

absl::StatusOr<int64_t> MySqlLedger::WalletBalance(int64_t household_id) {
  int64_t balance = 0;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto rows = Statement(connection, "SELECT balance_points FROM wallets WHERE household_id = ?")
                    .Bind(household_id)
                    .Query();
    if (rows->next()) balance = rows->getInt64(1);
    return absl::OkStatus();
  }));
  return balance;
}

absl::StatusOr<std::vector<PeriodScoreRow>> MySqlLedger::PeriodScores(int64_t household_id) {
  std::vector<PeriodScoreRow> scores;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto rows = Statement(connection,
                          "SELECT p.period, p.score, (s.period IS NOT NULL) AS final "
                          "FROM period_scores p LEFT JOIN settlements s "
                          "ON s.village_id = p.village_id AND s.period = p.period "
                          "WHERE p.household_id = ? ORDER BY p.period DESC")
                    .Bind(household_id)
                    .Query();
    while (rows->next()) {
      scores.push_back({GetString(*rows, "period"), rows->getInt64("score"),
                        rows->getBoolean("final")});
    }
    return absl::OkStatus();
  }));
  return scores;
}

absl::StatusOr<std::vector<StoredEntry>> MySqlLedger::HouseholdEntries(int64_t household_id,
                                                                      int64_t before_sequence,
                                                                      int limit) {
  std::vector<StoredEntry> entries;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    const std::string query = absl::StrCat(
        "SELECT ", kEntryColumns,
        " FROM ledger_entries WHERE household_id = ? AND sequence < ? "
        "ORDER BY sequence DESC LIMIT ?");
    auto rows = Statement(connection, query.c_str())
                    .Bind(household_id)
                    .Bind(before_sequence > 0 ? before_sequence : INT64_MAX)
                    .Bind(limit)
                    .Query();
    entries = ReadEntries(*rows);
    return absl::OkStatus();
  }));
  return entries;
}

absl::StatusOr<VillageTotalsRow> MySqlLedger::VillageTotals(int64_t village_id,
                                                           const std::string& period) {
  VillageTotalsRow totals;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    static const std::string query = absl::StrCat(
        "SELECT COUNT(DISTINCT household_id) AS households, ", kAwardsSumSql, " AS awards, ",
        kDeductionsSumSql,
        " AS deductions FROM ledger_entries WHERE village_id = ? AND period = ? AND account = 1");
    auto rows = Statement(connection, query.c_str()).Bind(village_id).Bind(period).Query();
    if (rows->next()) {
      totals.households_scored = rows->getInt64("households");
      totals.awards_points = rows->getInt64("awards");
      totals.deductions_points = rows->getInt64("deductions");
    }
    ASSIGN_OR_RETURN(totals.final, IsSettled(connection, village_id, period));
    return absl::OkStatus();
  }));
  return totals;
}

absl::StatusOr<std::vector<StoredEntry>> MySqlLedger::ReadRange(int64_t after, int64_t up_to,
                                                               int64_t village_id, int limit) {
  std::vector<StoredEntry> entries;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    const std::string query = absl::StrCat(
        "SELECT ", kEntryColumns, " FROM ledger_entries WHERE sequence > ? AND sequence <= ?",
        village_id != 0 ? " AND village_id = ?" : "", " ORDER BY sequence LIMIT ?");
    Statement statement(connection, query.c_str());
    statement.Bind(after).Bind(up_to);
    if (village_id != 0) statement.Bind(village_id);
    auto rows = statement.Bind(limit).Query();
    entries = ReadEntries(*rows);
    return absl::OkStatus();
  }));
  return entries;
}

absl::StatusOr<ChainReport> MySqlLedger::VerifyChain(int64_t village_id) {
  ChainReport report;
  // One transaction, so that the entries and the head row are read from one snapshot: an append
  // committing between two autocommit reads would look like a broken chain.
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    report = ChainReport();
    const std::string query =
        absl::StrCat("SELECT ", kEntryColumns,
                     " FROM ledger_entries WHERE village_id = ? ORDER BY sequence");
    auto rows = Statement(connection, query.c_str()).Bind(village_id).Query();
    std::string previous;
    while (rows->next()) {
      const StoredEntry entry = ReadEntry(*rows);
      ++report.entries_checked;
      if (report.intact && (entry.prev_hash != previous ||
                            ChainHash(previous, entry, entry.recorded_at_ms) != entry.hash)) {
        report.intact = false;
        report.first_bad_sequence = entry.sequence;
      }
      previous = entry.hash;
      report.head_hash = entry.hash;
      report.head_sequence = entry.sequence;
    }
    // The head row must agree with the last entry: a deleted tail shows up here.
    auto head = Statement(connection,
                          "SELECT head_sequence, head_hash FROM ledger_heads WHERE village_id = ?")
                    .Bind(village_id)
                    .Query();
    if (head->next() && report.intact &&
        (head->getInt64("head_sequence") != report.head_sequence ||
         GetString(*head, "head_hash") != report.head_hash)) {
      report.intact = false;
      report.first_bad_sequence = report.head_sequence + 1;
    }
    return absl::OkStatus();
  }));
  return report;
}

absl::StatusOr<int64_t> MySqlLedger::MaxSequence(mysql::ConnectionPool& pool) {
  int64_t max_sequence = 0;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool, [&](sql::Connection& connection) {
    auto rows = Statement(connection, "SELECT COALESCE(MAX(sequence), 0) FROM ledger_entries")
                    .Query();
    if (rows->next()) max_sequence = rows->getInt64(1);
    return absl::OkStatus();
  }));
  return max_sequence;
}

}  // namespace jifen::scoring
