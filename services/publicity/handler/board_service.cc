#include "services/publicity/handler/board_service.h"

#include "absl/time/clock.h"
#include "common/status/status_macros.h"

namespace jifen::publicity {
namespace {

void ToProto(const ShownRow& shown, v1::BoardRow* out) {
  out->set_rank(shown.row.rank);
  out->set_household_id(shown.row.household_id);
  out->set_points(shown.row.points);
  out->set_village_id(shown.row.village_id);
  out->set_group_id(shown.group_id);
  out->set_house_number(shown.house_number);
  out->set_masked_name(shown.masked_name);
}

void ToProto(const ListRules& rules, v1::ListRules* out) {
  out->set_village_id(rules.village_id);
  out->set_red_top_n(rules.red_top_n);
  out->set_red_min_points(rules.red_min_points);
  out->set_black_max_points(rules.black_max_points);
  for (const std::string& category : rules.black_categories) out->add_black_categories(category);
}

// How long a watch waits for changes before checking whether its client is still there.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(500);

}  // namespace

absl::StatusOr<BoardKey> BoardKeyFromProto(const v1::BoardRef& ref) {
  BoardKey key;
  switch (ref.scope()) {
    case v1::BOARD_SCOPE_VILLAGE:
      key.scope = BoardScope::kVillage;
      break;
    case v1::BOARD_SCOPE_GROUP:
      key.scope = BoardScope::kGroup;
      break;
    case v1::BOARD_SCOPE_TOWN:
      key.scope = BoardScope::kTown;
      break;
    case v1::BOARD_SCOPE_DISTRICT:
      key.scope = BoardScope::kDistrict;
      break;
    default:
      return absl::InvalidArgumentError("board.scope is required");
  }
  key.village_id = ref.village_id();
  key.group_id = ref.group_id();
  key.town_id = ref.town_id();
  ASSIGN_OR_RETURN(key.period, ParsePeriod(ref.period()));
  RETURN_IF_ERROR(ValidateBoardKey(key));
  return key;
}

BoardServiceImpl::BoardServiceImpl(const grpc_util::CallHandler& calls, Boards& boards,
                                   ChangeHub& hub)
    : calls_(calls), boards_(boards), hub_(hub) {}

grpc::ServerUnaryReactor* BoardServiceImpl::GetBoard(grpc::CallbackServerContext* context,
                                                     const v1::GetBoardRequest* request,
                                                     v1::Board* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(calls_.Serve(context, "GetBoard", [&](const auth::Caller& caller)
                                                          -> absl::Status {
    ASSIGN_OR_RETURN(const BoardKey key, BoardKeyFromProto(request->board()));
    ASSIGN_OR_RETURN(ShownPage page,
                     boards_.GetBoard(caller, key, request->page_size(), request->page_token()));
    *response->mutable_board() = request->board();
    for (const ShownRow& row : page.rows) ToProto(row, response->add_rows());
    response->set_next_page_token(page.next_page_token);
    response->set_households(page.households);
    response->set_applied_sequence(page.applied_sequence);
    if (page.refreshed_at != absl::InfinitePast()) {
      response->set_refreshed_at_ms(absl::ToUnixMillis(page.refreshed_at));
    }
    return absl::OkStatus();
  }));
  return reactor;
}

grpc::Status BoardServiceImpl::GetStanding(grpc::ServerContext* context,
                                           const v1::GetStandingRequest* request,
                                           v1::Standing* response) {
  return calls_.Serve(context, "GetStanding", [&](const auth::Caller& caller) -> absl::Status {
    // The village may be given in either place (a client that fills the board reference as for
    // GetBoard); given in both, they must agree.
    v1::BoardRef ref = request->board();
    if (request->village_id() != 0 && ref.village_id() != 0 &&
        request->village_id() != ref.village_id()) {
      return absl::InvalidArgumentError(
          "board.village_id: differs from village_id; give the household's village once");
    }
    if (request->village_id() != 0) ref.set_village_id(request->village_id());
    ASSIGN_OR_RETURN(const BoardKey key, BoardKeyFromProto(ref));
    ASSIGN_OR_RETURN(
        ShownStanding standing,
        boards_.GetStanding(caller, key, request->household_id(), request->neighbours()));
    response->set_on_board(standing.on_board);
    response->set_households(standing.households);
    response->set_applied_sequence(standing.applied_sequence);
    if (!standing.on_board) return absl::OkStatus();
    ToProto(standing.row, response->mutable_row());
    for (const ShownRow& row : standing.above) ToProto(row, response->add_above());
    for (const ShownRow& row : standing.below) ToProto(row, response->add_below());
    return absl::OkStatus();
  });
}

grpc::Status BoardServiceImpl::GetRedBlackLists(grpc::ServerContext* context,
                                                const v1::GetRedBlackListsRequest* request,
                                                v1::RedBlackLists* response) {
  return calls_.Serve(context, "GetRedBlackLists", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ShownLists lists,
                     boards_.GetRedBlackLists(caller, request->village_id(), request->period(),
                                              request->group_id()));
    response->set_village_id(request->village_id());
    response->set_period(request->period());
    response->set_group_id(request->group_id());
    ToProto(lists.rules, response->mutable_rules());
    for (const ShownRow& row : lists.red) ToProto(row, response->add_red());
    for (const auto& [row, reasons] : lists.black) {
      v1::BlackListRow* out = response->add_black();
      ToProto(row, out->mutable_row());
      for (const std::string& reason : reasons) {
        out->add_reasons(reason);
        out->add_reason_labels(ReasonLabel(reason, lists.rules));
      }
    }
    response->set_applied_sequence(lists.applied_sequence);
    return absl::OkStatus();
  });
}

grpc::Status BoardServiceImpl::GetListRules(grpc::ServerContext* context,
                                            const v1::GetListRulesRequest* request,
                                            v1::ListRules* response) {
  return calls_.Serve(context, "GetListRules", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ListRules rules, boards_.GetListRules(caller, request->village_id()));
    ToProto(rules, response);
    return absl::OkStatus();
  });
}

grpc::Status BoardServiceImpl::SetListRules(grpc::ServerContext* context,
                                            const v1::SetListRulesRequest* request,
                                            v1::ListRules* response) {
  return calls_.Serve(context, "SetListRules", [&](const auth::Caller& caller) -> absl::Status {
    const v1::ListRules& in = request->rules();
    ListRules rules;
    rules.village_id = in.village_id();
    rules.red_top_n = in.red_top_n();
    rules.red_min_points = in.red_min_points();
    rules.black_max_points = in.black_max_points();
    rules.black_categories.assign(in.black_categories().begin(), in.black_categories().end());
    ASSIGN_OR_RETURN(ListRules stored, boards_.SetListRules(caller, rules, absl::Now()));
    ToProto(stored, response);
    return absl::OkStatus();
  });
}

grpc::Status BoardServiceImpl::WatchBoard(grpc::ServerContext* context,
                                          const v1::WatchBoardRequest* request,
                                          grpc::ServerWriter<v1::BoardChange>* writer) {
  return calls_.Serve(context, "WatchBoard", [&](const auth::Caller& caller) -> absl::Status {
    v1::BoardRef ref;
    // A negative group_id is a group board's, so that it is refused rather than read as "none".
    ref.set_scope(request->group_id() != 0 ? v1::BOARD_SCOPE_GROUP : v1::BOARD_SCOPE_VILLAGE);
    ref.set_village_id(request->village_id());
    ref.set_group_id(request->group_id());
    ref.set_period(request->period());
    ASSIGN_OR_RETURN(const BoardKey key, BoardKeyFromProto(ref));
    RETURN_IF_ERROR(boards_.CheckWatch(caller, key));
    std::shared_ptr<ChangeHub::Subscription> subscription = hub_.Subscribe(key.village_id);
    // Headers go out at once, marked as accepted, so that a client (the gateway's event stream)
    // knows the watch is established.
    grpc_util::AcceptStream(context, writer);
    absl::Status status;
    while (!context->IsCancelled()) {
      std::vector<BoardEntry> entries = hub_.Wait(*subscription, kWatchPoll, nullptr);
      if (entries.empty()) continue;
      absl::StatusOr<std::vector<BoardChangeView>> changes = boards_.ChangesOf(key, entries);
      if (!changes.ok()) {
        status = changes.status();
        break;
      }
      bool open = true;
      for (const BoardChangeView& change : *changes) {
        v1::BoardChange out;
        out.set_sequence(change.sequence);
        out.set_delta_points(change.delta_points);
        ToProto(change.row, out.mutable_row());
        if (!writer->Write(out)) {
          open = false;
          break;
        }
      }
      if (!open) break;
    }
    hub_.Unsubscribe(subscription);
    if (!status.ok()) return status;
    return context->IsCancelled() ? absl::CancelledError("watch ended") : absl::OkStatus();
  });
}

grpc::Status BoardServiceImpl::Reconcile(grpc::ServerContext* context,
                                         const v1::ReconcileRequest* request,
                                         v1::ReconcileResponse* response) {
  return calls_.Serve(context, "Reconcile", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ReconcileReport report, boards_.Reconcile(caller, request->village_id()));
    response->set_applied_sequence(report.applied_sequence);
    response->set_entries_checked(report.entries_checked);
    response->set_boards_checked(report.boards_checked);
    for (const BoardDifference& difference : report.differences) {
      v1::BoardDifference* out = response->add_differences();
      out->set_board(difference.board);
      out->set_household_id(difference.household_id);
      out->set_present_in_redis(difference.redis_points.has_value());
      out->set_redis_points(difference.redis_points.value_or(0));
      out->set_present_in_ledger(difference.ledger_points.has_value());
      out->set_ledger_points(difference.ledger_points.value_or(0));
    }
    return absl::OkStatus();
  });
}

grpc::Status BoardServiceImpl::Rebuild(grpc::ServerContext* context,
                                       const v1::RebuildRequest* request,
                                       v1::RebuildResponse* response) {
  return calls_.Serve(context, "Rebuild", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(boards_.Rebuild(caller));
    response->set_scheduled(true);
    return absl::OkStatus();
  });
}

}  // namespace jifen::publicity
