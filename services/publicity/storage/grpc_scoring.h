// The scoring service as the publicity rules see it: the ledger stream, reversals and settlement,
// and the registry's villages and households. Every call carries a deadline and the service's own
// identity token (re-read from its file on each call, so a rotated token is picked up).
#pragma once

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/publicity/domain/ports.h"

namespace jifen::publicity {

struct ScoringClientOptions {
  std::shared_ptr<grpc::Channel> channel;
  std::string service_token_file;  // a JWT with role "service"
  absl::Duration call_timeout = absl::Seconds(5);
  // A following stream is reopened after this long even if healthy (every call needs a deadline).
  absl::Duration stream_lifetime = absl::Hours(1);
  absl::Duration directory_ttl = absl::Minutes(5);  // villages and household cards are cached
};

BoardEntry BoardEntryOf(const scoring::v1::LedgerEntry& entry);

// UNAVAILABLE if the token file can't be read.
absl::StatusOr<std::string> ReadServiceToken(const std::string& path);

class GrpcLedgerSource final : public LedgerSource {
 public:
  explicit GrpcLedgerSource(ScoringClientOptions options);
  absl::StatusOr<std::unique_ptr<EntryReader>> Open(int64_t after_sequence, bool follow,
                                                    int64_t village_id) override;

 private:
  ScoringClientOptions options_;
  std::unique_ptr<scoring::v1::LedgerService::Stub> stub_;
};

class GrpcLedgerCommands final : public LedgerCommands {
 public:
  explicit GrpcLedgerCommands(ScoringClientOptions options);
  absl::StatusOr<std::optional<BoardEntry>> FindEntry(int64_t household_id,
                                                      int64_t sequence) override;
  absl::StatusOr<int64_t> ReverseEntry(int64_t sequence, const std::string& correction_id,
                                       const std::string& reason,
                                       const std::string& request_id) override;
  absl::StatusOr<Settlement> SettlePeriod(int64_t village_id, const std::string& period,
                                          absl::Time refuse_recorded_after) override;

 private:
  ScoringClientOptions options_;
  std::unique_ptr<scoring::v1::LedgerService::Stub> stub_;
};

class GrpcVillageDirectory final : public VillageDirectory {
 public:
  explicit GrpcVillageDirectory(ScoringClientOptions options);
  absl::StatusOr<int64_t> TownOf(int64_t village_id) override;
  absl::StatusOr<int64_t> VillageOfGroup(int64_t group_id) override;
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> AllVillages() override;

 private:
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> Load(bool force);

  ScoringClientOptions options_;
  std::unique_ptr<scoring::v1::RegistryService::Stub> stub_;
  absl::Mutex mutex_;
  absl::flat_hash_map<int64_t, int64_t> town_of_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<int64_t, int64_t> village_of_group_ ABSL_GUARDED_BY(mutex_);
  absl::Time loaded_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

class GrpcHouseholdDirectory final : public HouseholdDirectory {
 public:
  explicit GrpcHouseholdDirectory(ScoringClientOptions options);
  absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdCard>> Lookup(
      int64_t village_id, const std::vector<int64_t>& household_ids) override;
  absl::StatusOr<std::optional<HouseholdPlace>> Place(int64_t household_id) override;

 private:
  // Households asked for alone in one Lookup, at most (a board page names up to a few hundred).
  static constexpr size_t kSingleLookupsMax = 16;
  struct VillageCards {
    absl::flat_hash_map<int64_t, HouseholdCard> cards;
    absl::Time loaded_at = absl::InfinitePast();
    absl::Time retry_after = absl::InfinitePast();  // no registry call before this
    // Households asked for alone and not found in the village: not asked again before then.
    absl::flat_hash_map<int64_t, absl::Time> absent_until;
  };
  absl::Status LoadVillage(int64_t village_id);
  // The household's card when it is one of the village's; nullopt when it is not (or unknown).
  absl::StatusOr<std::optional<HouseholdCard>> FetchCard(int64_t village_id, int64_t household_id);
  // The registry's household (masked for a service); nullopt for an unknown one.
  absl::StatusOr<std::optional<scoring::v1::Household>> GetHousehold(int64_t household_id);

  ScoringClientOptions options_;
  std::unique_ptr<scoring::v1::RegistryService::Stub> stub_;
  absl::Mutex mutex_;
  absl::flat_hash_map<int64_t, VillageCards> villages_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace jifen::publicity
