// jifen.scoring.v1.RulebookService.
#pragma once

#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "services/scoring/handler/scoring_context.h"
#include "services/scoring/storage/mysql_rulebooks.h"

namespace jifen::scoring {

class RulebookServiceImpl final : public v1::RulebookService::Service {
 public:
  RulebookServiceImpl(const ScoringContext& context, MySqlRulebooks& rulebooks)
      : context_(context), rulebooks_(rulebooks) {}

  grpc::Status GetTemplate(grpc::ServerContext* context, const v1::GetTemplateRequest* request,
                           v1::Rulebook* response) override;
  grpc::Status CreateDraft(grpc::ServerContext* context, const v1::CreateDraftRequest* request,
                           v1::Rulebook* response) override;
  grpc::Status GetRulebook(grpc::ServerContext* context, const v1::GetRulebookRequest* request,
                           v1::Rulebook* response) override;
  grpc::Status GetRulebookInForce(grpc::ServerContext* context,
                                  const v1::GetRulebookInForceRequest* request,
                                  v1::Rulebook* response) override;
  grpc::Status ListRulebooks(grpc::ServerContext* context,
                             const v1::ListRulebooksRequest* request,
                             v1::ListRulebooksResponse* response) override;
  grpc::Status PutItem(grpc::ServerContext* context, const v1::PutItemRequest* request,
                       v1::Rulebook* response) override;
  grpc::Status RemoveItem(grpc::ServerContext* context, const v1::RemoveItemRequest* request,
                          v1::Rulebook* response) override;
  grpc::Status RecordVote(grpc::ServerContext* context, const v1::RecordVoteRequest* request,
                          v1::Rulebook* response) override;
  grpc::Status Publish(grpc::ServerContext* context, const v1::PublishRequest* request,
                       v1::Rulebook* response) override;
  grpc::Status DiffAgainstTemplate(grpc::ServerContext* context,
                                   const v1::DiffAgainstTemplateRequest* request,
                                   v1::DiffAgainstTemplateResponse* response) override;

 private:
  absl::Status CheckCanReadRulebooksOf(const auth::Caller& caller, int64_t village_id);
  // Loads a rulebook the caller may read (anyone in its village; the district; the town's
  // officials).
  absl::StatusOr<RulebookRecord> Readable(const auth::Caller& caller, int64_t rulebook_id);
  // Loads a rulebook of the caller's own village for an admin change.
  absl::StatusOr<RulebookRecord> Administrable(const auth::Caller& caller, int64_t rulebook_id);

  const ScoringContext& context_;
  MySqlRulebooks& rulebooks_;
};

}  // namespace jifen::scoring
