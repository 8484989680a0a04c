// The audit records of the ledger's own movements: a correction (reversal), a redemption debit, its
// refund, and a settlement. MySqlLedger writes them in the transaction of the entries they
// describe, and only when it writes those entries, so that a retried call (same order, correction
// or period) adds nothing to the trail.
//
// Before and after are short "key=value" texts (balances, sequences, ids), always within
// audit::kMaxInlineStateBytes so that they reach the trail as text, not as a digest; the free-text
// reason comes last and is shortened to fit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/audit/audit_outbox.h"
#include "services/scoring/domain/ledger_entry.h"

namespace jifen::scoring {

// "reverse_entry" on ledger_entry <original sequence>: the household's period score before and
// after, the reversing entry, the correction id and the reason.
audit::AuditFacts ReversalAudit(const LedgerActor& actor, const StoredEntry& original,
                                const StoredEntry& reversal, int64_t period_score_after);

// "debit_wallet" / "refund_wallet" on wallet <household id>: the wallet before and after, the
// entry, the order id and the reason. `refunded` is the debit a refund gives back (null for a
// debit).
audit::AuditFacts WalletDebitAudit(const LedgerActor& actor, const StoredEntry& debit,
                                   int64_t balance_after);
audit::AuditFacts WalletRefundAudit(const LedgerActor& actor, const StoredEntry& refund,
                                    const StoredEntry& refunded, int64_t balance_after);

// One settlement credit as written, with the wallet it went into.
struct SettlementCredit {
  StoredEntry entry;
  int64_t balance_before = 0;
};

// The records of a village's period settlement: first "settle_period" on period
// "<village>/<period>" (the entries' source id) with the households and points credited and the
// entries' sequence range, then one "credit_wallet" on wallet <household id> per household
// credited, each with its balance before and after.
std::vector<audit::AuditFacts> SettlementAudit(const LedgerActor& actor, int64_t village_id,
                                               const std::string& period,
                                               const std::vector<SettlementCredit>& credits);

}  // namespace jifen::scoring
