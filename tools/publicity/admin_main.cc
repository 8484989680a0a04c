// jifen-publicity-admin: operator commands against a running jifen-publicity.
//
//   jifen-publicity-admin --address=127.0.0.1:7003 --token_file=t.jwt reconcile --village_id=12
//       compares the village's Redis boards with the ledger; prints every difference.
//       Exit 0: equal; 3: differences; 1: the call failed.
//   jifen-publicity-admin --address=... --token_file=... rebuild
//       wipes every board and replays the ledger (district officials and services).
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "jifen/publicity/v1/boards.grpc.pb.h"
#include "services/publicity/storage/grpc_scoring.h"

ABSL_FLAG(std::string, address, "", "host:port of jifen-publicity");
ABSL_FLAG(std::string, token_file, "", "file holding the bearer token to present");
ABSL_FLAG(int64_t, village_id, 0, "reconcile: the village");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(120), "deadline of the call");

namespace {

using namespace jifen;  // NOLINT: a small tool.

int Fail(const std::string& message) {
  std::fprintf(stderr, "jifen-publicity-admin: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "jifen-publicity-admin --address=HOST:PORT --token_file=FILE "
      "(reconcile --village_id=N | rebuild)");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() != 2) return Fail("expected one command: reconcile or rebuild");
  const std::string command = positional[1];
  const std::string address = absl::GetFlag(FLAGS_address);
  if (address.empty()) return Fail("--address is required");
  absl::StatusOr<std::string> token = publicity::ReadServiceToken(absl::GetFlag(FLAGS_token_file));
  if (!token.ok()) return Fail(token.status().ToString());
  auto stub = publicity::v1::BoardService::NewStub(grpc_util::NewChannel(address, 64 << 20));
  auto context = grpc_util::NewClientContext(absl::GetFlag(FLAGS_timeout), *token);

  if (command == "rebuild") {
    publicity::v1::RebuildResponse response;
    const grpc::Status status = stub->Rebuild(context.get(), {}, &response);
    if (!status.ok()) return Fail(absl::StrCat("Rebuild: ", status.error_message()));
    std::printf("rebuild scheduled\n");
    return 0;
  }
  if (command != "reconcile") return Fail(absl::StrCat("unknown command ", command));
  publicity::v1::ReconcileRequest request;
  request.set_village_id(absl::GetFlag(FLAGS_village_id));
  publicity::v1::ReconcileResponse response;
  const grpc::Status status = stub->Reconcile(context.get(), request, &response);
  if (!status.ok()) return Fail(absl::StrCat("Reconcile: ", status.error_message()));
  std::printf("village %lld: %lld entries up to sequence %lld, %d boards, %d differences\n",
              static_cast<long long>(request.village_id()),
              static_cast<long long>(response.entries_checked()),
              static_cast<long long>(response.applied_sequence()), response.boards_checked(),
              response.differences_size());
  for (const publicity::v1::BoardDifference& difference : response.differences()) {
    std::printf(
        "  %s household %lld: redis %s, ledger %s\n", difference.board().c_str(),
        static_cast<long long>(difference.household_id()),
        difference.present_in_redis() ? absl::StrCat(difference.redis_points()).c_str() : "absent",
        difference.present_in_ledger() ? absl::StrCat(difference.ledger_points()).c_str()
                                       : "absent");
  }
  return response.differences_size() == 0 ? 0 : 3;
}
