#include "services/scoring/handler/ledger_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/correction.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/storage/ledger_proto.h"

namespace jifen::scoring {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr int kStreamBatch = 5000;
// About 100 KiB per message at ~200 bytes an entry: well under the 4 MiB default message limit.
constexpr size_t kEntriesPerMessage = 500;

LedgerActor ActorOf(const auth::Caller& caller) {
  return {caller.user_id, std::string(auth::RoleName(caller.role)), caller.request_id};
}

}  // namespace

absl::StatusOr<HouseholdRecord> LedgerServiceImpl::ReadableHousehold(const auth::Caller& caller,
                                                                     int64_t household_id) {
  if (household_id <= 0) return absl::InvalidArgumentError("household_id is required");
  ASSIGN_OR_RETURN(HouseholdRecord household, context_.households->FindHousehold(household_id));
  std::vector<int64_t> team_groups;
  if (caller.role == auth::Role::kAssessor && caller.team_id != 0) {
    ASSIGN_OR_RETURN(team_groups, context_.households->TeamGroups(caller.team_id));
  }
  RETURN_IF_ERROR(CheckCanReadHousehold(caller, household, team_groups));
  return household;
}

absl::Status LedgerServiceImpl::CheckVillageReadable(const auth::Caller& caller,
                                                     int64_t village_id) {
  if (village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  if (caller.role == auth::Role::kTownOfficial) {
    // Town officials read the villages of their own town only.
    ASSIGN_OR_RETURN(const int64_t town_id, context_.households->TownOfVillage(village_id));
    return CheckCanReadVillage(caller, village_id, town_id);
  }
  return CheckCanReadVillage(caller, village_id, 0);
}

grpc::Status LedgerServiceImpl::GetWallet(grpc::ServerContext* context,
                                          const v1::GetWalletRequest* request,
                                          v1::Wallet* response) {
  return context_.calls->Serve(context, "GetWallet", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(ReadableHousehold(caller, request->household_id()).status());
    ASSIGN_OR_RETURN(const int64_t balance, ledger_.WalletBalance(request->household_id()));
    response->set_household_id(request->household_id());
    response->set_balance_points(balance);
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::ListPeriodScores(grpc::ServerContext* context,
                                                 const v1::ListPeriodScoresRequest* request,
                                                 v1::ListPeriodScoresResponse* response) {
  return context_.calls->Serve(context, "ListPeriodScores", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(ReadableHousehold(caller, request->household_id()).status());
    ASSIGN_OR_RETURN(const std::vector<PeriodScoreRow> rows,
                     ledger_.PeriodScores(request->household_id()));
    for (const PeriodScoreRow& row : rows) {
      v1::PeriodScore* score = response->add_scores();
      score->set_period(row.period);
      score->set_score(row.score);
      score->set_final(row.final);
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::ListEntries(grpc::ServerContext* context,
                                            const v1::ListEntriesRequest* request,
                                            v1::ListEntriesResponse* response) {
  return context_.calls->Serve(context, "ListEntries", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(ReadableHousehold(caller, request->household_id()).status());
    const int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
    if (page_size < 1 || page_size > kMaxPageSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_size must be 1..", kMaxPageSize, ", got ", page_size));
    }
    int64_t before = 0;
    if (!request->page_token().empty() &&
        (!absl::SimpleAtoi(request->page_token(), &before) || before <= 0)) {
      return absl::InvalidArgumentError("page_token is not one this service issued");
    }
    ASSIGN_OR_RETURN(const std::vector<StoredEntry> entries,
                     ledger_.HouseholdEntries(request->household_id(), before, page_size + 1));
    const size_t shown = std::min(entries.size(), static_cast<size_t>(page_size));
    for (size_t i = 0; i < shown; ++i) ToProto(entries[i], response->add_entries());
    if (entries.size() > shown) {
      response->set_next_page_token(absl::StrCat(entries[shown - 1].sequence));
    }
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::GetVillageTotals(grpc::ServerContext* context,
                                                 const v1::GetVillageTotalsRequest* request,
                                                 v1::VillageTotals* response) {
  return context_.calls->Serve(context, "GetVillageTotals", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(CheckVillageReadable(caller, request->village_id()));
    RETURN_IF_ERROR(BoundsOf(request->period()).status());
    ASSIGN_OR_RETURN(const VillageTotalsRow totals,
                     ledger_.VillageTotals(request->village_id(), request->period()));
    response->set_village_id(request->village_id());
    response->set_period(request->period());
    response->set_households_scored(totals.households_scored);
    response->set_awards_points(totals.awards_points);
    response->set_deductions_points(totals.deductions_points);
    response->set_net_points(totals.awards_points + totals.deductions_points);
    response->set_final(totals.final);
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::Debit(grpc::ServerContext* context,
                                      const v1::DebitRequest* request,
                                      v1::DebitResponse* response) {
  return context_.calls->Serve(context, "Debit", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(CheckService(caller));
    if (request->household_id() <= 0) return absl::InvalidArgumentError("household_id is required");
    ASSIGN_OR_RETURN(const HouseholdRecord household,
                     context_.households->FindHousehold(request->household_id()));
    ASSIGN_OR_RETURN(const MySqlLedger::WalletMove move,
                     ledger_.Debit(household.village_id, household.household_id,
                                   household.group_id, request->points(), request->order_id(),
                                   request->reason(), ActorOf(caller)));
    ToProto(move.entry, response->mutable_entry());
    response->set_balance_points(move.balance_points);
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::Refund(grpc::ServerContext* context,
                                       const v1::RefundRequest* request,
                                       v1::RefundResponse* response) {
  return context_.calls->Serve(context, "Refund", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(CheckService(caller));
    ASSIGN_OR_RETURN(const MySqlLedger::WalletMove move,
                     ledger_.Refund(request->order_id(), request->reason(), ActorOf(caller)));
    ToProto(move.entry, response->mutable_entry());
    response->set_balance_points(move.balance_points);
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::ReverseEntry(grpc::ServerContext* context,
                                             const v1::ReverseEntryRequest* request,
                                             v1::ReverseEntryResponse* response) {
  return context_.calls->Serve(context, "ReverseEntry", [&](const auth::Caller& caller)
                                                            -> absl::Status {
    RETURN_IF_ERROR(ValidateCorrection(request->sequence(), request->correction_id(),
                                       request->reason()));
    if (!caller.IsService()) {
      if (caller.role != auth::Role::kVillageAdmin) return CheckService(caller);
      ASSIGN_OR_RETURN(const std::vector<StoredEntry> target,
                       ledger_.ReadRange(request->sequence() - 1, request->sequence(), 0, 1));
      if (target.empty()) return absl::NotFoundError("no such entry");
      RETURN_IF_ERROR(CheckVillageAdmin(caller, target.front().village_id));
    }
    ASSIGN_OR_RETURN(const StoredEntry entry,
                     ledger_.Reverse(request->sequence(), request->correction_id(),
                                     request->reason(), ActorOf(caller)));
    ToProto(entry, response->mutable_entry());
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::SettlePeriod(grpc::ServerContext* context,
                                             const v1::SettlePeriodRequest* request,
                                             v1::SettlePeriodResponse* response) {
  return context_.calls->Serve(context, "SettlePeriod", [&](const auth::Caller& caller)
                                                            -> absl::Status {
    RETURN_IF_ERROR(CheckService(caller));
    if (request->village_id() <= 0) return absl::InvalidArgumentError("village_id is required");
    ASSIGN_OR_RETURN(const PeriodBounds bounds, BoundsOf(request->period()));
    if (absl::Now() < bounds.end) {
      return absl::FailedPreconditionError(
          absl::StrCat("PERIOD_NOT_OVER: ", request->period(), " has not ended yet"));
    }
    if (request->refuse_entries_recorded_after_ms() < 0) {
      return absl::InvalidArgumentError("refuse_entries_recorded_after_ms must be >= 0");
    }
    ASSIGN_OR_RETURN(const SettlementResult result,
                     ledger_.Settle(request->village_id(), request->period(), ActorOf(caller),
                                    request->refuse_entries_recorded_after_ms()));
    response->set_households_credited(result.households_credited);
    response->set_points_credited(result.points_credited);
    response->set_already_settled(result.already_settled);
    return absl::OkStatus();
  });
}

grpc::Status LedgerServiceImpl::StreamEntries(grpc::ServerContext* context,
                                              const v1::StreamEntriesRequest* request,
                                              grpc::ServerWriter<v1::LedgerEntryBatch>* writer) {
  return context_.calls->Serve(context, "StreamEntries", [&](const auth::Caller& caller)
                                                             -> absl::Status {
    if (request->village_id() == 0) {
      if (!caller.IsService() && !caller.IsDistrict()) {
        return absl::PermissionDeniedError("only services read every village's stream");
      }
    } else if (!caller.IsService() && !caller.IsDistrict()) {
      RETURN_IF_ERROR(CheckVillageAdmin(caller, request->village_id()));
    }
    int64_t cursor = request->after_sequence();
    v1::LedgerEntryBatch message;
    while (!context->IsCancelled()) {
      const int64_t watermark = ledger_.sequencer().StableWatermark();
      ASSIGN_OR_RETURN(const std::vector<StoredEntry> batch,
                       ledger_.ReadRange(cursor, watermark, request->village_id(), kStreamBatch));
      for (size_t first = 0; first < batch.size(); first += kEntriesPerMessage) {
        const size_t end = std::min(batch.size(), first + kEntriesPerMessage);
        message.clear_entries();
        for (size_t i = first; i < end; ++i) ToProto(batch[i], message.add_entries());
        if (!writer->Write(message)) return absl::CancelledError("the reader went away");
        cursor = batch[end - 1].sequence;
      }
      if (batch.size() == static_cast<size_t>(kStreamBatch)) continue;
      // Caught up to the watermark: everything at or below it has been examined.
      cursor = std::max(cursor, watermark);
      if (!request->follow()) return absl::OkStatus();
      ledger_.sequencer().WaitBeyond(cursor, absl::Milliseconds(500));
    }
    return absl::CancelledError("stream cancelled");
  });
}

grpc::Status LedgerServiceImpl::VerifyChain(grpc::ServerContext* context,
                                            const v1::VerifyChainRequest* request,
                                            v1::VerifyChainResponse* response) {
  return context_.calls->Serve(context, "VerifyChain", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(CheckVillageReadable(caller, request->village_id()));
    ASSIGN_OR_RETURN(const ChainReport report, ledger_.VerifyChain(request->village_id()));
    response->set_intact(report.intact);
    response->set_entries_checked(report.entries_checked);
    response->set_head_hash(report.head_hash);
    response->set_head_sequence(report.head_sequence);
    response->set_first_bad_sequence(report.first_bad_sequence);
    return absl::OkStatus();
  });
}

}  // namespace jifen::scoring
