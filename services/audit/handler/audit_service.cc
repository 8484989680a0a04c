#include "services/audit/handler/audit_service.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/status/status_macros.h"

namespace jifen::audit {
namespace {

bool IsDistrict(const auth::Caller& caller) { return caller.IsDistrict(); }

absl::Status RequireDistrict(const auth::Caller& caller) {
  if (!IsDistrict(caller)) return absl::PermissionDeniedError("district roles only");
  return absl::OkStatus();
}

}  // namespace

void ToProto(const TrailRecord& r, v1::StoredRecord* out) {
  out->set_sequence(r.sequence);
  out->set_source_service(r.source_service);
  out->set_outbox_id(r.outbox_id);
  out->set_received_at_ms(r.received_at_ms);
  out->set_hash(r.hash);
  v1::AuditRecord* record = out->mutable_record();
  record->set_village_id(r.village_id);
  record->set_actor_user_id(r.actor_user_id);
  record->set_actor_role(r.actor_role);
  record->set_action(r.action);
  record->set_object_type(r.object_type);
  record->set_object_id(r.object_id);
  record->set_before(r.before);
  record->set_after(r.after);
  record->set_occurred_at_ms(r.occurred_at_ms);
  record->set_request_id(r.request_id);
}

void ToProto(const Checkpoint& c, v1::Checkpoint* out) {
  out->set_date(c.date);
  out->set_record_count(c.record_count);
  out->set_head_hash(c.head_hash);
  out->set_signed_at_ms(c.signed_at_ms);
  out->set_signed_text(CheckpointText(c));
  out->set_signature_base64(absl::Base64Escape(c.signature));
}

void ToProto(const VerifyResult& r, v1::VerifyResponse* out) {
  out->set_intact(r.intact);
  out->set_records_checked(r.records_checked);
  out->set_head_sequence(r.head_sequence);
  out->set_head_hash(r.head_hash);
  out->set_breakage(static_cast<v1::Breakage>(r.breakage));
  out->set_first_bad_position(r.first_bad_position);
  out->set_found_sequence(r.found_sequence);
  out->set_detail(r.detail);
  out->set_checkpoints_checked(r.checkpoints_checked);
}

grpc::Status AuditServiceImpl::Append(grpc::ServerContext* context,
                                      const v1::AppendRequest* request,
                                      v1::AppendResponse* response) {
  return calls_.Serve(context, "Append", [&](const auth::Caller& caller) -> absl::Status {
    std::vector<TrailRecord> records;
    records.reserve(request->items_size());
    for (const v1::AppendItem& item : request->items()) {
      records.push_back(FromProto(item.record(), item.outbox_id()));
    }
    ASSIGN_OR_RETURN(AppendOutcome outcome, trail_.Append(caller, std::move(records)));
    response->set_appended(outcome.appended);
    response->set_duplicates(outcome.duplicates);
    response->set_head_sequence(outcome.head_sequence);
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::ListRecords(grpc::ServerContext* context,
                                           const v1::ListRecordsRequest* request,
                                           v1::ListRecordsResponse* response) {
  return calls_.Serve(context, "ListRecords", [&](const auth::Caller& caller) -> absl::Status {
    RecordFilter filter;
    ASSIGN_OR_RETURN(filter.village_ids,
                     ReadableVillages(caller, request->village_id(), directory_));
    if (request->page_size() < 0 || request->page_size() > 500) {
      return absl::InvalidArgumentError("page_size must be 1..500");
    }
    if (!request->object_id().empty() && request->object_type().empty()) {
      return absl::InvalidArgumentError("object_id needs object_type");
    }
    filter.object_type = request->object_type();
    filter.object_id = request->object_id();
    filter.after_sequence = request->after_sequence();
    filter.limit = request->page_size() == 0 ? 100 : request->page_size();
    ASSIGN_OR_RETURN(std::vector<TrailRecord> records, repository_.List(filter));
    for (const TrailRecord& record : records) ToProto(record, response->add_records());
    if (static_cast<int>(records.size()) == filter.limit) {
      response->set_next_after_sequence(records.back().sequence);
    }
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::Verify(grpc::ServerContext* context,
                                      const v1::VerifyRequest* request,
                                      v1::VerifyResponse* response) {
  return calls_.Serve(context, "Verify", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireDistrict(caller));
    if (request->from_sequence() < 0) return absl::InvalidArgumentError("from_sequence < 0");
    const int64_t after = request->from_sequence() <= 1 ? 0 : request->from_sequence() - 1;
    ASSIGN_OR_RETURN(VerifyResult result, VerifyTrail(repository_, hasher_, verifier_, after));
    ToProto(result, response);
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::CreateCheckpoint(grpc::ServerContext* context,
                                                const v1::CreateCheckpointRequest* request,
                                                v1::Checkpoint* response) {
  return calls_.Serve(context, "CreateCheckpoint", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireDistrict(caller));
    ASSIGN_OR_RETURN(Checkpoint checkpoint, trail_.CreateCheckpoint(request->date()));
    ToProto(checkpoint, response);
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::GetCheckpoint(grpc::ServerContext* context,
                                             const v1::GetCheckpointRequest* request,
                                             v1::Checkpoint* response) {
  return calls_.Serve(context, "GetCheckpoint", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireDistrict(caller));
    absl::Time ignored;
    RETURN_IF_ERROR(ParseDate(request->date(), &ignored));
    ASSIGN_OR_RETURN(std::optional<Checkpoint> checkpoint,
                     repository_.GetCheckpoint(request->date()));
    if (!checkpoint.has_value()) return absl::NotFoundError("no checkpoint for that date");
    ToProto(*checkpoint, response);
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::ListCheckpoints(grpc::ServerContext* context,
                                               const v1::ListCheckpointsRequest* request,
                                               v1::ListCheckpointsResponse* response) {
  return calls_.Serve(context, "ListCheckpoints", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireDistrict(caller));
    absl::Time ignored;
    if (!request->from_date().empty()) RETURN_IF_ERROR(ParseDate(request->from_date(), &ignored));
    if (!request->to_date().empty()) RETURN_IF_ERROR(ParseDate(request->to_date(), &ignored));
    if (request->limit() < 0 || request->limit() > 366) {
      return absl::InvalidArgumentError("limit must be 1..366");
    }
    ASSIGN_OR_RETURN(std::vector<Checkpoint> checkpoints,
                     repository_.ListCheckpoints(request->from_date(), request->to_date(),
                                                 request->limit() == 0 ? 31 : request->limit()));
    for (const Checkpoint& checkpoint : checkpoints) {
      ToProto(checkpoint, response->add_checkpoints());
    }
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::GetSigningKey(grpc::ServerContext* context,
                                             const v1::GetSigningKeyRequest* request,
                                             v1::GetSigningKeyResponse* response) {
  return calls_.Serve(context, "GetSigningKey", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireDistrict(caller));
    if (signer_ == nullptr) return absl::FailedPreconditionError("no audit signing key configured");
    response->set_public_key_pem(signer_->PublicKeyPem());
    return absl::OkStatus();
  });
}

}  // namespace jifen::audit
