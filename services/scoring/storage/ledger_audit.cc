#include "services/scoring/storage/ledger_audit.h"

#include "absl/strings/str_cat.h"
#include "common/audit/state_digest.h"
#include "common/text/text.h"
#include "services/scoring/storage/audit_outbox.h"

namespace jifen::scoring {
namespace {

using audit::AuditFacts;

constexpr absl::string_view kLabel = " reason=";
constexpr absl::string_view kEllipsis = "…";

// `facts` then " reason=<reason>", the reason shortened (on a character boundary, marked with an
// ellipsis) so that the whole stays inline: a longer state would reach the trail as a bare digest
// and lose the balances with it. Control characters would do the same (StateDigest keeps only
// printable text), so they become spaces.
std::string WithReason(std::string facts, absl::string_view reason) {
  if (facts.size() + kLabel.size() + kEllipsis.size() >= audit::kMaxInlineStateBytes) {
    return facts;
  }
  const size_t budget = audit::kMaxInlineStateBytes - facts.size() - kLabel.size();
  std::vector<std::string> characters;
  size_t bytes = 0;
  for (absl::string_view character : text::Utf8Characters(reason)) {
    const unsigned char first = static_cast<unsigned char>(character.front());
    const bool control = character.size() == 1 && (first < 0x20 || first == 0x7f);
    characters.push_back(control ? std::string(" ") : std::string(character));
    bytes += characters.back().size();
  }
  const bool cut = bytes > budget;
  std::string shown;
  for (const std::string& character : characters) {
    if (cut && shown.size() + character.size() > budget - kEllipsis.size()) break;
    shown += character;
  }
  if (cut) absl::StrAppend(&shown, kEllipsis);
  return absl::StrCat(facts, kLabel, shown);
}

AuditFacts Facts(const LedgerActor& actor, int64_t village_id, const char* action,
                 const char* object_type, std::string object_id, std::string before,
                 std::string after) {
  return {village_id,  actor.user_id,        actor.role,         action,
          object_type, std::move(object_id), AuditState(before), AuditState(after)};
}

}  // namespace

AuditFacts ReversalAudit(const LedgerActor& actor, const StoredEntry& original,
                         const StoredEntry& reversal, int64_t period_score_after) {
  const int64_t period_score_before = period_score_after - reversal.points;
  return Facts(
      actor, original.village_id, "reverse_entry", "ledger_entry", absl::StrCat(original.sequence),
      absl::StrCat("household=", original.household_id, " period=", original.period,
                   " item=", original.item_code, " points=", original.points,
                   " period_score=", period_score_before, " reversed=false"),
      WithReason(
          absl::StrCat("reversed=true reversal=", reversal.sequence, " points=", reversal.points,
                       " period_score=", period_score_after, " correction=", reversal.source_id),
          reversal.reason));
}

AuditFacts WalletDebitAudit(const LedgerActor& actor, const StoredEntry& debit,
                            int64_t balance_after) {
  return Facts(actor, debit.village_id, "debit_wallet", "wallet", absl::StrCat(debit.household_id),
               absl::StrCat("balance=", balance_after - debit.points),
               WithReason(absl::StrCat("balance=", balance_after, " entry=", debit.sequence,
                                       " points=", debit.points, " order=", debit.source_id),
                          debit.reason));
}

AuditFacts WalletRefundAudit(const LedgerActor& actor, const StoredEntry& refund,
                             const StoredEntry& refunded, int64_t balance_after) {
  return Facts(actor, refund.village_id, "refund_wallet", "wallet",
               absl::StrCat(refund.household_id),
               absl::StrCat("balance=", balance_after - refund.points),
               WithReason(absl::StrCat("balance=", balance_after, " entry=", refund.sequence,
                                       " points=", refund.points, " order=", refund.source_id,
                                       " refunds=", refunded.sequence),
                          refund.reason));
}

std::vector<AuditFacts> SettlementAudit(const LedgerActor& actor, int64_t village_id,
                                        const std::string& period,
                                        const std::vector<SettlementCredit>& credits) {
  // A town inspector asks two questions of a settlement: when did the village's quarter become
  // final and what did it pay out (the first record, also when nobody was credited), and did this
  // household get its points (one record per household, so that its wallet reads on the trail as
  // one story with its debits and refunds, balance before and after each). A single record could
  // not list a village's households within the inline limit.
  std::vector<AuditFacts> records;
  records.reserve(credits.size() + 1);
  int64_t points = 0;
  for (const SettlementCredit& credit : credits) points += credit.entry.points;
  std::string after = absl::StrCat("settled=true households=", credits.size(), " points=", points);
  if (!credits.empty()) {
    absl::StrAppend(&after, " entries=", credits.front().entry.sequence, "-",
                    credits.back().entry.sequence);
  }
  records.push_back(Facts(actor, village_id, "settle_period", "period",
                          absl::StrCat(village_id, "/", period), "settled=false",
                          std::move(after)));
  for (const SettlementCredit& credit : credits) {
    const StoredEntry& entry = credit.entry;
    records.push_back(Facts(
        actor, village_id, "credit_wallet", "wallet", absl::StrCat(entry.household_id),
        absl::StrCat("balance=", credit.balance_before),
        absl::StrCat("balance=", credit.balance_before + entry.points, " entry=", entry.sequence,
                     " points=", entry.points, " period=", period)));
  }
  return records;
}

}  // namespace jifen::scoring
