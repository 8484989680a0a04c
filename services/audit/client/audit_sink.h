// The outbox receiver other services link to deliver their audit records to the audit service:
//
//   auto sink = audit::AuditSink::Create({.target = "127.0.0.1:7004", .token = service_token});
//   outbox::Relay relay(pool, sink->AsReceiver(), {.topic = "audit"});
//   relay.Start();
//
// Each outbox row of topic "audit" carries a serialized jifen.audit.v1.AuditRecord (see
// MakeAuditPayload). A batch is sent as one Append call with a deadline and the service's identity
// token; OK means the audit service has durably chained (or already had) every record of it.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/outbox/outbox.h"
#include "jifen/audit/v1/audit.grpc.pb.h"

namespace jifen::audit {

struct AuditSinkOptions {
  std::string target;  // the audit service, "host:port"
  std::string token;   // this service's identity token (role "service"), without "Bearer "
  absl::Duration timeout = absl::Seconds(10);  // per Append call
  int max_message_bytes = 4 << 20;
};

class AuditSink final {
 public:
  // Creates the channel (connects lazily).
  static std::unique_ptr<AuditSink> Create(AuditSinkOptions options);
  // For tests: a stub of the caller's choosing.
  AuditSink(AuditSinkOptions options,
            std::unique_ptr<jifen::audit::v1::AuditService::StubInterface> stub);

  // Sends `batch` (at most 500 records per call; larger batches are split). A row jifen-audit would
  // refuse (a payload that is not an AuditRecord, or one that breaks audit's field rules, such as
  // a negative village id) is not dropped: it is sent as action "malformed_payload" with
  // after = "sha256:<hex of the payload> reason=<why>", so the relay never blocks and the trail
  // shows it.
  absl::Status Deliver(const std::vector<outbox::OutboxRecord>& batch);
  outbox::Receiver AsReceiver() {
    return [this](const std::vector<outbox::OutboxRecord>& batch) { return Deliver(batch); };
  }

 private:
  AuditSinkOptions options_;
  std::unique_ptr<jifen::audit::v1::AuditService::StubInterface> stub_;
};

// The payload a service writes with outbox::Append(conn, village_id, "audit", payload).
std::string MakeAuditPayload(const jifen::audit::v1::AuditRecord& record);

}  // namespace jifen::audit
