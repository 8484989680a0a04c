// jifen-token: mints a signed token with the gateway's private key. The stack runner uses it for
// each service's identity token (role "service"); operators use it for break-glass access.
//
//   jifen-token --private_key=run/keys/token_private.pem --role=service --subject=redemption
//               --ttl=720h --out=run/keys/redemption.token
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "common/auth/token.h"

ABSL_FLAG(std::string, private_key, "", "PEM file with the token signing key (required)");
ABSL_FLAG(std::string, role, "service", "auth role name, e.g. service, district_official");
ABSL_FLAG(std::string, subject, "", "user id or service name (required)");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(24), "how long the token is valid");
ABSL_FLAG(int64_t, town, 0, "town scope id");
ABSL_FLAG(int64_t, village, 0, "village scope id");
ABSL_FLAG(int64_t, grid, 0, "grid scope id");
ABSL_FLAG(int64_t, household, 0, "household scope id");
ABSL_FLAG(int64_t, team, 0, "assessment team scope id");
ABSL_FLAG(std::string, out, "", "file to write the token to (mode 0600); stdout when empty");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string subject = absl::GetFlag(FLAGS_subject);
  if (subject.empty() || absl::GetFlag(FLAGS_private_key).empty()) {
    std::cerr << "jifen-token: --private_key and --subject are required\n";
    return 2;
  }
  auto role = jifen::auth::ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.ok()) {
    std::cerr << "jifen-token: --role: " << role.status().message() << "\n";
    return 2;
  }
  auto signer = jifen::auth::TokenSigner::FromPrivateKeyFile(absl::GetFlag(FLAGS_private_key), {});
  if (!signer.ok()) {
    std::cerr << "jifen-token: " << signer.status().message() << "\n";
    return 2;
  }
  jifen::auth::Caller caller;
  caller.user_id = subject;
  caller.role = *role;
  caller.town_id = absl::GetFlag(FLAGS_town);
  caller.village_id = absl::GetFlag(FLAGS_village);
  caller.grid_id = absl::GetFlag(FLAGS_grid);
  caller.household_id = absl::GetFlag(FLAGS_household);
  caller.team_id = absl::GetFlag(FLAGS_team);
  auto token = (*signer)->Sign(caller, absl::Now(), absl::GetFlag(FLAGS_ttl));
  if (!token.ok()) {
    std::cerr << "jifen-token: " << token.status().message() << "\n";
    return 1;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cout << *token << "\n";
    return 0;
  }
  std::ofstream file(out, std::ios::trunc);
  file << *token;
  file.close();
  if (!file) {
    std::cerr << "jifen-token: cannot write " << out << "\n";
    return 1;
  }
  chmod(out.c_str(), 0600);
  return 0;
}
