// jifen.audit.v1.AuditService: decode, authorize (through CallHandler and the domain), encode.
#pragma once

#include <grpcpp/grpcpp.h>

#include "common/grpc/call.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "services/audit/domain/scope.h"
#include "services/audit/domain/trail.h"
#include "services/audit/handler/record_proto.h"

namespace jifen::audit {

class AuditServiceImpl final : public jifen::audit::v1::AuditService::Service {
 public:
  // Everything must outlive this. `signer` and `verifier` may be null (no signing key).
  AuditServiceImpl(const auth::TokenVerifier* tokens, AuditTrail& trail,
                   TrailRepository& repository, VillageDirectory& directory, const Hasher& hasher,
                   const Signer* signer, const SignatureVerifier* verifier)
      : calls_("audit", tokens),
        trail_(trail),
        repository_(repository),
        directory_(directory),
        hasher_(hasher),
        signer_(signer),
        verifier_(verifier) {}

  grpc::Status Append(grpc::ServerContext* context, const v1::AppendRequest* request,
                      v1::AppendResponse* response) override;
  grpc::Status ListRecords(grpc::ServerContext* context, const v1::ListRecordsRequest* request,
                           v1::ListRecordsResponse* response) override;
  grpc::Status Verify(grpc::ServerContext* context, const v1::VerifyRequest* request,
                      v1::VerifyResponse* response) override;
  grpc::Status CreateCheckpoint(grpc::ServerContext* context,
                                const v1::CreateCheckpointRequest* request,
                                v1::Checkpoint* response) override;
  grpc::Status GetCheckpoint(grpc::ServerContext* context, const v1::GetCheckpointRequest* request,
                             v1::Checkpoint* response) override;
  grpc::Status ListCheckpoints(grpc::ServerContext* context,
                               const v1::ListCheckpointsRequest* request,
                               v1::ListCheckpointsResponse* response) override;
  grpc::Status GetSigningKey(grpc::ServerContext* context, const v1::GetSigningKeyRequest* request,
                             v1::GetSigningKeyResponse* response) override;

 private:
  grpc_util::CallHandler calls_;
  AuditTrail& trail_;
  TrailRepository& repository_;
  VillageDirectory& directory_;
  const Hasher& hasher_;
  const Signer* signer_;
  const SignatureVerifier* verifier_;
};

// Conversions between the contract and the domain (also used by the CLI and tests); FromProto is
// in record_proto.h.
void ToProto(const TrailRecord& record, v1::StoredRecord* out);
void ToProto(const Checkpoint& checkpoint, v1::Checkpoint* out);
void ToProto(const VerifyResult& result, v1::VerifyResponse* out);

}  // namespace jifen::audit
