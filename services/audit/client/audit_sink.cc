#include "services/audit/client/audit_sink.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "services/audit/crypto/openssl_crypto.h"

namespace jifen::audit {
namespace {

constexpr size_t kMaxItemsPerCall = 500;

}  // namespace

std::unique_ptr<AuditSink> AuditSink::Create(AuditSinkOptions options) {
  std::shared_ptr<grpc::Channel> channel =
      grpc_util::NewChannel(options.target, options.max_message_bytes);
  auto stub = jifen::audit::v1::AuditService::NewStub(channel);
  return std::make_unique<AuditSink>(std::move(options), std::move(stub));
}

AuditSink::AuditSink(AuditSinkOptions options,
                     std::unique_ptr<jifen::audit::v1::AuditService::StubInterface> stub)
    : options_(std::move(options)), stub_(std::move(stub)) {}

absl::Status AuditSink::Deliver(const std::vector<outbox::OutboxRecord>& batch) {
  for (size_t start = 0; start < batch.size(); start += kMaxItemsPerCall) {
    v1::AppendRequest request;
    const size_t end = std::min(batch.size(), start + kMaxItemsPerCall);
    for (size_t i = start; i < end; ++i) {
      const outbox::OutboxRecord& row = batch[i];
      v1::AppendItem* item = request.add_items();
      item->set_outbox_id(row.id);
      v1::AuditRecord* record = item->mutable_record();
      if (!record->ParseFromString(row.payload) || record->action().empty() ||
          record->object_type().empty() || record->object_id().empty() ||
          record->occurred_at_ms() <= 0) {
        record->Clear();
        record->set_actor_role("system");
        record->set_action("malformed_payload");
        record->set_object_type("outbox");
        record->set_object_id(absl::StrCat(row.id));
        record->set_after(absl::StrCat("sha256:", Sha256Hex(row.payload)));
        record->set_occurred_at_ms(std::max<int64_t>(1, absl::ToUnixMillis(row.created_at)));
      }
      // The row is authoritative for the village (it is what the owner sharded and indexed by).
      record->set_village_id(row.village_id);
    }
    v1::AppendResponse response;
    std::unique_ptr<grpc::ClientContext> context =
        grpc_util::NewClientContext(options_.timeout, options_.token);
    grpc::Status status = stub_->Append(context.get(), request, &response);
    if (!status.ok()) return grpc_util::FromGrpcStatus(status);
  }
  return absl::OkStatus();
}

std::string MakeAuditPayload(const jifen::audit::v1::AuditRecord& record) {
  return record.SerializeAsString();
}

}  // namespace jifen::audit
