#include "services/publicity/storage/grpc_scoring.h"

#include <algorithm>
#include <deque>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "common/status/status_macros.h"

namespace jifen::publicity {
namespace {

namespace sv1 = ::jifen::scoring::v1;

absl::StatusOr<std::unique_ptr<grpc::ClientContext>> NewContext(const ScoringClientOptions& options,
                                                                absl::Duration timeout,
                                                                absl::string_view request_id = "") {
  ASSIGN_OR_RETURN(const std::string token, ReadServiceToken(options.service_token_file));
  return grpc_util::NewClientContext(timeout, token, request_id);
}

// Reads a StreamEntries call on its own thread into a queue, so that NextBatch can hand the
// feeder everything that has arrived (one Redis round trip per batch instead of per entry).
class GrpcEntryReader final : public EntryReader {
 public:
  GrpcEntryReader(std::unique_ptr<grpc::ClientContext> context, sv1::LedgerService::Stub& stub,
                  const sv1::StreamEntriesRequest& request)
      : context_(std::move(context)) {
    stream_ = stub.StreamEntries(context_.get(), request);
    thread_ = std::thread([this] { ReadAll(); });
  }

  ~GrpcEntryReader() override {
    Cancel();
    thread_.join();
  }

  absl::StatusOr<std::vector<BoardEntry>> NextBatch(size_t max, absl::Duration wait) override {
    absl::MutexLock lock(&mutex_);
    const auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
      return !queue_.empty() || finished_;
    };
    mutex_.AwaitWithTimeout(absl::Condition(&ready), wait);
    std::vector<BoardEntry> batch;
    while (!queue_.empty() && batch.size() < max) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (batch.empty() && finished_) {
      if (!final_status_.ok()) return final_status_;
      return absl::OutOfRangeError("end of the ledger stream");
    }
    return batch;
  }

  void Cancel() override {
    {
      absl::MutexLock lock(&mutex_);
      closing_ = true;
    }
    context_->TryCancel();
  }

 private:
  // Bounded: the reader stops taking entries from gRPC while the feeder is behind, which lets
  // flow control slow the server down instead of growing memory.
  static constexpr size_t kQueueMax = 20000;

  void ReadAll() {
    sv1::LedgerEntryBatch message;
    while (true) {
      {
        absl::MutexLock lock(&mutex_);
        const auto room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
          return queue_.size() < kQueueMax || closing_;
        };
        mutex_.Await(absl::Condition(&room));
        if (closing_) break;
      }
      if (!stream_->Read(&message)) break;
      absl::MutexLock lock(&mutex_);
      for (const sv1::LedgerEntry& entry : message.entries()) queue_.push_back(BoardEntryOf(entry));
    }
    const grpc::Status status = stream_->Finish();
    absl::MutexLock lock(&mutex_);
    finished_ = true;
    final_status_ = grpc_util::FromGrpcStatus(status);
  }

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<sv1::LedgerEntryBatch>> stream_;
  absl::Mutex mutex_;
  std::deque<BoardEntry> queue_ ABSL_GUARDED_BY(mutex_);
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::string> ReadServiceToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("can't read service token file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (token.empty()) return absl::UnavailableError(absl::StrCat("empty service token in ", path));
  return token;
}

BoardEntry BoardEntryOf(const sv1::LedgerEntry& entry) {
  BoardEntry out;
  out.sequence = entry.sequence();
  out.village_id = entry.village_id();
  out.household_id = entry.household_id();
  out.group_id = entry.group_id();
  out.score_account = entry.account() == sv1::ACCOUNT_SCORE;
  out.points = entry.points();
  out.period = entry.period();
  out.category = entry.category();
  out.reverses_sequence = entry.reverses_sequence();
  out.recorded_at_ms = entry.recorded_at_ms();
  return out;
}

GrpcLedgerSource::GrpcLedgerSource(ScoringClientOptions options)
    : options_(std::move(options)), stub_(sv1::LedgerService::NewStub(options_.channel)) {}

absl::StatusOr<std::unique_ptr<EntryReader>> GrpcLedgerSource::Open(int64_t after_sequence,
                                                                    bool follow,
                                                                    int64_t village_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                   NewContext(options_, options_.stream_lifetime));
  sv1::StreamEntriesRequest request;
  request.set_after_sequence(after_sequence);
  request.set_follow(follow);
  request.set_village_id(village_id);
  return std::make_unique<GrpcEntryReader>(std::move(context), *stub_, request);
}

GrpcLedgerCommands::GrpcLedgerCommands(ScoringClientOptions options)
    : options_(std::move(options)), stub_(sv1::LedgerService::NewStub(options_.channel)) {}

absl::StatusOr<std::optional<BoardEntry>> GrpcLedgerCommands::FindEntry(int64_t household_id,
                                                                        int64_t sequence) {
  // Entries come newest first; a household has a few dozen per quarter, so paging down to the
  // sequence is cheap and needs no endpoint beyond the household's own history.
  std::string page_token;
  for (int page = 0; page < 100; ++page) {
    ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                     NewContext(options_, options_.call_timeout));
    sv1::ListEntriesRequest request;
    request.set_household_id(household_id);
    request.set_page_size(200);
    request.set_page_token(page_token);
    sv1::ListEntriesResponse response;
    const grpc::Status status = stub_->ListEntries(context.get(), request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::optional<BoardEntry>();
    RETURN_IF_ERROR(grpc_util::FromGrpcStatus(status));
    for (const sv1::LedgerEntry& entry : response.entries()) {
      if (entry.sequence() == sequence) {
        if (entry.household_id() != household_id) return std::optional<BoardEntry>();
        return std::optional<BoardEntry>(BoardEntryOf(entry));
      }
      if (entry.sequence() < sequence) return std::optional<BoardEntry>();
    }
    if (response.next_page_token().empty()) break;
    page_token = response.next_page_token();
  }
  return std::optional<BoardEntry>();
}

absl::StatusOr<int64_t> GrpcLedgerCommands::ReverseEntry(int64_t sequence,
                                                         const std::string& correction_id,
                                                         const std::string& reason,
                                                         const std::string& request_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                   NewContext(options_, options_.call_timeout, request_id));
  sv1::ReverseEntryRequest request;
  request.set_sequence(sequence);
  request.set_correction_id(correction_id);
  request.set_reason(reason);
  sv1::ReverseEntryResponse response;
  RETURN_IF_ERROR(
      grpc_util::FromGrpcStatus(stub_->ReverseEntry(context.get(), request, &response)));
  return response.entry().sequence();
}

absl::StatusOr<Settlement> GrpcLedgerCommands::SettlePeriod(int64_t village_id,
                                                            const std::string& period,
                                                            absl::Time refuse_recorded_after) {
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                   NewContext(options_, options_.call_timeout));
  sv1::SettlePeriodRequest request;
  request.set_village_id(village_id);
  request.set_period(period);
  if (refuse_recorded_after != absl::InfiniteFuture()) {
    // 0 would mean "no check"; a cutoff at or before 1970 refuses every entry, as 1 ms does.
    request.set_refuse_entries_recorded_after_ms(
        std::max<int64_t>(1, absl::ToUnixMillis(refuse_recorded_after)));
  }
  sv1::SettlePeriodResponse response;
  RETURN_IF_ERROR(
      grpc_util::FromGrpcStatus(stub_->SettlePeriod(context.get(), request, &response)));
  return Settlement{response.households_credited(), response.points_credited()};
}

GrpcVillageDirectory::GrpcVillageDirectory(ScoringClientOptions options)
    : options_(std::move(options)), stub_(sv1::RegistryService::NewStub(options_.channel)) {}

absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> GrpcVillageDirectory::Load(bool force) {
  {
    absl::MutexLock lock(&mutex_);
    if (!force && absl::Now() - loaded_at_ < options_.directory_ttl) return town_of_;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                   NewContext(options_, options_.call_timeout));
  sv1::ListVillagesRequest request;
  sv1::ListVillagesResponse response;
  RETURN_IF_ERROR(
      grpc_util::FromGrpcStatus(stub_->ListVillages(context.get(), request, &response)));
  absl::flat_hash_map<int64_t, int64_t> town_of;
  for (const sv1::Village& village : response.villages()) {
    town_of[village.village_id()] = village.town_id();
  }
  absl::flat_hash_map<int64_t, int64_t> village_of_group;
  for (const sv1::Group& group : response.groups()) {
    village_of_group[group.group_id()] = group.village_id();
  }
  absl::MutexLock lock(&mutex_);
  town_of_ = town_of;
  village_of_group_ = std::move(village_of_group);
  loaded_at_ = absl::Now();
  return town_of;
}

absl::StatusOr<int64_t> GrpcVillageDirectory::TownOf(int64_t village_id) {
  using TownOf = absl::flat_hash_map<int64_t, int64_t>;
  ASSIGN_OR_RETURN(TownOf town_of, Load(false));
  auto it = town_of.find(village_id);
  if (it == town_of.end()) {
    // A village created since the last load: look again once.
    ASSIGN_OR_RETURN(town_of, Load(true));
    it = town_of.find(village_id);
    if (it == town_of.end()) return absl::NotFoundError(absl::StrCat("no village ", village_id));
  }
  return it->second;
}

absl::StatusOr<int64_t> GrpcVillageDirectory::VillageOfGroup(int64_t group_id) {
  // Requests may name any group id: an unknown one reloads the registry only when the last load is
  // older than this, so that they cannot turn every call into a registry read.
  constexpr absl::Duration kMissReloadAfter = absl::Seconds(1);
  const auto find = [&]() -> std::optional<int64_t> {
    absl::MutexLock lock(&mutex_);
    auto it = village_of_group_.find(group_id);
    if (it == village_of_group_.end()) return std::nullopt;
    return it->second;
  };
  // Groups never move to another village, so a group once seen needs no fresh load.
  if (std::optional<int64_t> village = find(); village.has_value()) return *village;
  bool reload = false;
  {
    absl::MutexLock lock(&mutex_);
    reload = absl::Now() - loaded_at_ >= kMissReloadAfter;
  }
  if (reload) {
    RETURN_IF_ERROR(Load(true).status());
    if (std::optional<int64_t> village = find(); village.has_value()) return *village;
  }
  return absl::NotFoundError(absl::StrCat("no group ", group_id));
}

absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> GrpcVillageDirectory::AllVillages() {
  return Load(false);
}

GrpcHouseholdDirectory::GrpcHouseholdDirectory(ScoringClientOptions options)
    : options_(std::move(options)), stub_(sv1::RegistryService::NewStub(options_.channel)) {}

absl::Status GrpcHouseholdDirectory::LoadVillage(int64_t village_id) {
  VillageCards loaded;
  std::string page_token;
  for (int page = 0; page < 1000; ++page) {
    ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                     NewContext(options_, options_.call_timeout));
    sv1::ListHouseholdsRequest request;
    request.set_village_id(village_id);
    request.set_page_size(500);
    request.set_page_token(page_token);
    sv1::ListHouseholdsResponse response;
    RETURN_IF_ERROR(
        grpc_util::FromGrpcStatus(stub_->ListHouseholds(context.get(), request, &response)));
    for (const sv1::Household& household : response.households()) {
      // Only what a public board shows: never members, never phone numbers.
      loaded.cards[household.household_id()] =
          HouseholdCard{household.group_id(), household.house_number(), household.head_name()};
    }
    if (response.next_page_token().empty()) break;
    page_token = response.next_page_token();
  }
  loaded.loaded_at = absl::Now();
  // Unknown households are looked up again at most once a minute.
  loaded.retry_after = loaded.loaded_at + absl::Minutes(1);
  absl::MutexLock lock(&mutex_);
  villages_[village_id] = std::move(loaded);
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdCard>> GrpcHouseholdDirectory::Lookup(
    int64_t village_id, const std::vector<int64_t>& household_ids) {
  bool reload = false;
  std::vector<int64_t> to_fetch;  // missing from a load too recent to repeat
  {
    absl::MutexLock lock(&mutex_);
    const absl::Time now = absl::Now();
    auto it = villages_.find(village_id);
    if (it == villages_.end()) {
      reload = true;
    } else if (now >= it->second.retry_after) {
      if (now - it->second.loaded_at > options_.directory_ttl) reload = true;
      // A household missing from the last load may be new.
      for (int64_t id : household_ids) {
        if (!it->second.cards.contains(id)) reload = true;
      }
    } else if (it->second.loaded_at != absl::InfinitePast()) {
      // A household registered since the load (scored right away, as a new one often is) is
      // asked for alone rather than shown without its name and house until the next load.
      for (int64_t id : household_ids) {
        if (to_fetch.size() >= kSingleLookupsMax) break;
        auto absent = it->second.absent_until.find(id);
        if (!it->second.cards.contains(id) &&
            (absent == it->second.absent_until.end() || now >= absent->second)) {
          to_fetch.push_back(id);
        }
      }
    }
  }
  if (reload) {
    const absl::Status loaded = LoadVillage(village_id);
    if (!loaded.ok()) {
      // Remember the failure for a while: boards are read far more often than the registry can
      // be asked, and a board without names is better than a slow one.
      absl::MutexLock lock(&mutex_);
      villages_[village_id].retry_after = absl::Now() + absl::Seconds(10);
      return loaded;
    }
  }
  for (int64_t id : to_fetch) {
    absl::StatusOr<std::optional<HouseholdCard>> card = FetchCard(village_id, id);
    if (!card.ok()) break;  // the names come with the next load
    absl::MutexLock lock(&mutex_);
    VillageCards& cards = villages_[village_id];
    if (card->has_value()) {
      cards.cards[id] = **card;
    } else {
      cards.absent_until[id] = absl::Now() + absl::Minutes(1);
    }
  }
  absl::flat_hash_map<int64_t, HouseholdCard> found;
  absl::MutexLock lock(&mutex_);
  const VillageCards& cards = villages_[village_id];
  for (int64_t id : household_ids) {
    auto it = cards.cards.find(id);
    if (it != cards.cards.end()) found[id] = it->second;
  }
  return found;
}

absl::StatusOr<std::optional<sv1::Household>> GrpcHouseholdDirectory::GetHousehold(
    int64_t household_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> context,
                   NewContext(options_, options_.call_timeout));
  sv1::GetHouseholdRequest request;
  request.set_household_id(household_id);
  sv1::HouseholdDetail response;
  const absl::Status status =
      grpc_util::FromGrpcStatus(stub_->GetHousehold(context.get(), request, &response));
  if (absl::IsNotFound(status)) return std::nullopt;
  RETURN_IF_ERROR(status);
  return response.household();
}

absl::StatusOr<std::optional<HouseholdCard>> GrpcHouseholdDirectory::FetchCard(
    int64_t village_id, int64_t household_id) {
  ASSIGN_OR_RETURN(const std::optional<sv1::Household> household, GetHousehold(household_id));
  if (!household.has_value() || household->village_id() != village_id) return std::nullopt;
  // Only what a public board shows, as LoadVillage keeps: never members or phone numbers.
  return HouseholdCard{household->group_id(), household->house_number(), household->head_name()};
}

absl::StatusOr<std::optional<HouseholdPlace>> GrpcHouseholdDirectory::Place(int64_t household_id) {
  ASSIGN_OR_RETURN(const std::optional<sv1::Household> household, GetHousehold(household_id));
  if (!household.has_value()) return std::nullopt;
  return HouseholdPlace{household->village_id(), household->group_id()};
}

}  // namespace jifen::publicity
