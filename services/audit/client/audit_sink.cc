#include "services/audit/client/audit_sink.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/chain.h"
#include "services/audit/handler/record_proto.h"

namespace jifen::audit {
namespace {

constexpr size_t kMaxItemsPerCall = 500;
// Room for the hash and the reason within what audit keeps as text (chain.h, kMaxStateBytes).
constexpr size_t kMaxReasonBytes = 300;

// Whether jifen-audit would take `record` (its ValidateReported); the service fills in the source
// from the caller's token, so any name stands in for it here.
absl::Status CheckAsAuditWould(const v1::AuditRecord& record, int64_t outbox_id) {
  TrailRecord reported = FromProto(record, outbox_id);
  reported.source_service = "sink";
  return ValidateReported(reported);
}

// A row jifen-audit would refuse would come back on every retry and stop this relay for good. It
// is chained instead as action "malformed_payload", naming the reason and the payload's SHA-256;
// the row itself stays in the producer's outbox for whoever investigates.
void SetAside(const outbox::OutboxRecord& row, absl::string_view reason, v1::AuditRecord* record) {
  record->Clear();
  record->set_village_id(std::max<int64_t>(0, row.village_id));
  record->set_actor_role("system");
  record->set_action("malformed_payload");
  record->set_object_type("outbox");
  record->set_object_id(absl::StrCat(row.id));
  record->set_after(absl::StrCat("sha256:", Sha256Hex(row.payload), " reason=",
                                 reason.substr(0, kMaxReasonBytes)));
  record->set_occurred_at_ms(std::max<int64_t>(1, absl::ToUnixMillis(row.created_at)));
}

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
      if (!record->ParseFromString(row.payload)) {
        SetAside(row, "the payload is not an AuditRecord", record);
        continue;
      }
      // The row is authoritative for the village (it is what the owner sharded and indexed by).
      record->set_village_id(row.village_id);
      if (absl::Status valid = CheckAsAuditWould(*record, row.id); !valid.ok()) {
        SetAside(row, valid.message(), record);
      }
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
