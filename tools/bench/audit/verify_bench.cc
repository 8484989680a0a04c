// Benchmark: verify a hash chain of --records audit records (default 1,000,000) on one core.
// Builds the chain in memory (records shaped like real ones: digests as "sha256:<hex>"), then times
// ChainVerifier over it on the calling thread only. The MariaDB read path is measured separately
// by jifen-audit-verify (it prints its own timing).
//
//   build-audit/services/audit/jifen-audit-bench --records=1000000
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/chain.h"

ABSL_FLAG(int, records, 1000000, "chain length");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using jifen::audit::TrailRecord;
  const int n = absl::GetFlag(FLAGS_records);
  jifen::audit::OpenSslHasher hasher;

  const absl::Time build_start = absl::Now();
  std::vector<TrailRecord> chain;
  chain.reserve(n);
  jifen::audit::RawHash previous{};
  for (int i = 1; i <= n; ++i) {
    TrailRecord r;
    r.sequence = i;
    r.source_service = i % 3 == 0 ? "redemption" : "scoring";
    r.outbox_id = i;
    r.village_id = 1 + i % 150;
    r.actor_user_id = absl::StrCat("user-", i % 5000);
    r.actor_role = "grid_worker";
    r.action = "create";
    r.object_type = "ledger_entry";
    r.object_id = absl::StrCat(i);
    r.before = "";
    r.after = absl::StrCat("sha256:", jifen::audit::Sha256Hex(absl::StrCat(i)));
    r.occurred_at_ms = 1'700'000'000'000 + i;
    r.request_id = absl::StrCat("req-", i);
    r.received_at_ms = 1'700'000'000'500 + i;
    previous = jifen::audit::ChainHash(hasher, previous, r);
    r.hash = jifen::audit::ToHex(previous);
    chain.push_back(std::move(r));
  }
  const absl::Duration build = absl::Now() - build_start;

  const absl::Time start = absl::Now();
  jifen::audit::ChainVerifier verifier(hasher);
  for (const TrailRecord& r : chain) verifier.Feed(r);
  const absl::Duration took = absl::Now() - start;
  const jifen::audit::VerifyResult& result = verifier.result();
  std::printf(
      "records=%d intact=%s checked=%lld build=%.2fs verify=%.3fs (%.0f records/s, one core)\n", n, result.intact ? "yes" : "no", static_cast<long long>(result.records_checked),
      absl::ToDoubleSeconds(build), absl::ToDoubleSeconds(took), n / absl::ToDoubleSeconds(took));
  return result.intact ? 0 : 1;
}
