// jifen.publicity.v1.PublicityWindowService: decode, call the domain, encode.
#pragma once

#include "common/grpc/call.h"
#include "jifen/publicity/v1/windows.grpc.pb.h"
#include "services/publicity/domain/windows.h"

namespace jifen::publicity {

class WindowServiceImpl final : public v1::PublicityWindowService::Service {
 public:
  WindowServiceImpl(const grpc_util::CallHandler& calls, PublicityWindows& windows,
                    PublicityWindows::Clock clock);

  grpc::Status OpenWindow(grpc::ServerContext* context, const v1::OpenWindowRequest* request,
                          v1::PublicityWindow* response) override;
  grpc::Status GetWindow(grpc::ServerContext* context, const v1::GetWindowRequest* request,
                         v1::PublicityWindow* response) override;
  grpc::Status FileObjection(grpc::ServerContext* context, const v1::FileObjectionRequest* request,
                             v1::Objection* response) override;
  grpc::Status ResolveObjection(grpc::ServerContext* context,
                                const v1::ResolveObjectionRequest* request,
                                v1::Objection* response) override;
  grpc::Status ListObjections(grpc::ServerContext* context,
                              const v1::ListObjectionsRequest* request,
                              v1::ListObjectionsResponse* response) override;

 private:
  const grpc_util::CallHandler& calls_;
  PublicityWindows& windows_;
  PublicityWindows::Clock clock_;
};

}  // namespace jifen::publicity
