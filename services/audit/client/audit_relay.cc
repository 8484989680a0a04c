#include "services/audit/client/audit_relay.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace jifen::audit {

absl::StatusOr<std::unique_ptr<AuditRelay>> AuditRelay::Start(
    mysql::ConnectionPool& pool, const std::string& audit_address,
    const std::string& service_token_file) {
  std::ifstream in(service_token_file);
  const std::string contents((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  const std::string token(absl::StripAsciiWhitespace(contents));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--service_token_file must name a file holding this service's token to deliver audit "
        "records to ", audit_address));
  }
  std::unique_ptr<AuditRelay> relay(new AuditRelay());
  AuditSinkOptions options;
  options.target = audit_address;
  options.token = token;
  relay->sink_ = AuditSink::Create(options);
  outbox::RelayOptions relay_options;
  relay_options.topic = "audit";
  relay->relay_ =
      std::make_unique<outbox::Relay>(pool, relay->sink_->AsReceiver(), relay_options);
  relay->relay_->Start();
  return relay;
}

AuditRelay::~AuditRelay() {
  if (relay_ != nullptr) relay_->Stop();
}

}  // namespace jifen::audit
