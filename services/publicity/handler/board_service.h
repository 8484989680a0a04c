// jifen.publicity.v1.BoardService: decode, call the domain, encode. Every RPC goes through
// CallHandler (token, logs, metrics, status mapping).
#pragma once

#include "common/grpc/call.h"
#include "jifen/publicity/v1/boards.grpc.pb.h"
#include "services/publicity/domain/boards.h"
#include "services/publicity/domain/change_hub.h"

namespace jifen::publicity {

// GetBoard, the read every resident's phone and every village screen makes, is served by gRPC's
// callback API: it runs on the thread that received the call instead of being handed to a
// handler thread, which on a two-core machine was most of its cost (thread switches). It may block
// briefly on Redis (one GET on a cache hit). The other methods, slower or streaming, stay on the
// handler threads.
class BoardServiceImpl final
    : public v1::BoardService::WithCallbackMethod_GetBoard<v1::BoardService::Service> {
 public:
  BoardServiceImpl(const grpc_util::CallHandler& calls, Boards& boards, ChangeHub& hub);

  grpc::ServerUnaryReactor* GetBoard(grpc::CallbackServerContext* context,
                                     const v1::GetBoardRequest* request,
                                     v1::Board* response) override;
  grpc::Status GetStanding(grpc::ServerContext* context, const v1::GetStandingRequest* request,
                           v1::Standing* response) override;
  grpc::Status GetRedBlackLists(grpc::ServerContext* context,
                                const v1::GetRedBlackListsRequest* request,
                                v1::RedBlackLists* response) override;
  grpc::Status GetListRules(grpc::ServerContext* context, const v1::GetListRulesRequest* request,
                            v1::ListRules* response) override;
  grpc::Status SetListRules(grpc::ServerContext* context, const v1::SetListRulesRequest* request,
                            v1::ListRules* response) override;
  grpc::Status WatchBoard(grpc::ServerContext* context, const v1::WatchBoardRequest* request,
                          grpc::ServerWriter<v1::BoardChange>* writer) override;
  grpc::Status Reconcile(grpc::ServerContext* context, const v1::ReconcileRequest* request,
                         v1::ReconcileResponse* response) override;
  grpc::Status Rebuild(grpc::ServerContext* context, const v1::RebuildRequest* request,
                       v1::RebuildResponse* response) override;

 private:
  const grpc_util::CallHandler& calls_;
  Boards& boards_;
  ChangeHub& hub_;
};

// Proto -> domain, INVALID_ARGUMENT naming the field.
absl::StatusOr<BoardKey> BoardKeyFromProto(const v1::BoardRef& ref);

}  // namespace jifen::publicity
