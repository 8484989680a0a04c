#include "services/scoring/handler/registry_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/domain/registry_access.h"
#include "services/scoring/domain/registry_filters.h"
#include "services/scoring/domain/registry_household.h"
#include "services/scoring/domain/registry_privacy.h"
#include "services/scoring/domain/registry_roster.h"
#include "services/scoring/storage/mysql_personal_data_views.h"
#include "services/scoring/storage/mysql_registry_repository.h"

namespace jifen::scoring {
namespace {

constexpr int kPageSizeDefault = 100;
constexpr int kPageSizeMax = 500;
constexpr absl::string_view kPageTokenPrefix = "h:";
constexpr int kTeamGroupsMax = 100;

absl::StatusOr<std::unique_ptr<RegistryRepository>> MakeRepository(const ScoringContext& context) {
  if (context.pool == nullptr) return absl::FailedPreconditionError("no MySQL pool");
  ASSIGN_OR_RETURN(std::unique_ptr<PhoneCipher> cipher, PhoneCipher::Create(context.phone_key));
  return std::make_unique<MySqlRegistryRepository>(*context.pool, std::move(cipher));
}

absl::Status RequireId(int64_t id, absl::string_view field) {
  if (id > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " must be a positive id"));
}

// Page tokens are opaque to clients: "h:<last household id>" in web-safe base64.
std::string PageToken(int64_t last_household_id) {
  return absl::WebSafeBase64Escape(absl::StrCat(kPageTokenPrefix, last_household_id));
}

absl::StatusOr<int64_t> ParsePageToken(const std::string& token) {
  if (token.empty()) return 0;
  std::string text;
  int64_t id = 0;
  absl::string_view view;
  if (absl::WebSafeBase64Unescape(token, &text)) view = text;
  if (!absl::ConsumePrefix(&view, kPageTokenPrefix) || !absl::SimpleAtoi(view, &id) || id <= 0) {
    return absl::InvalidArgumentError("page_token is not one this service issued");
  }
  return id;
}

bool IsVillageBound(const auth::Caller& caller) {
  return caller.role == auth::Role::kVillageAdmin || caller.role == auth::Role::kGridWorker ||
         caller.role == auth::Role::kAssessor;
}

RegistryActor ActorOf(const auth::Caller& caller) {
  return {caller.user_id, std::string(auth::RoleName(caller.role)), caller.request_id};
}

void Encode(const GridRecord& grid, v1::Grid* out) {
  out->set_grid_id(grid.grid_id);
  out->set_village_id(grid.village_id);
  out->set_name(grid.name);
  out->set_worker_user_id(grid.worker_user_id);
}

v1::HouseholdKind KindOf(const HouseholdRecord& record) {
  return record.registered ? v1::HOUSEHOLD_KIND_REGISTERED : v1::HOUSEHOLD_KIND_NON_REGISTERED;
}

void Encode(const TeamRecord& team, v1::AssessmentTeam* out) {
  out->set_team_id(team.team_id);
  out->set_village_id(team.village_id);
  out->set_name(team.name);
  for (int64_t group_id : team.group_ids) out->add_group_ids(group_id);
}

void Encode(const RegistryHousehold& household, PersonalDataView view, v1::Household* out) {
  const HouseholdRecord& record = household.record;
  out->set_household_id(record.household_id);
  out->set_village_id(record.village_id);
  out->set_group_id(record.group_id);
  out->set_grid_id(record.grid_id);
  out->set_house_number(record.house_number);
  out->set_head_name(view == PersonalDataView::kFull ? record.head_name
                                                     : MaskName(record.head_name));
  out->set_kind(KindOf(record));
  out->set_consent_date(household.consent_date);
  out->set_rents_out_rooms(record.rents_out_rooms);
  out->set_steward_user_id(record.steward_user_id);
}

void Encode(const HouseholdWithMembers& household, PersonalDataView view,
            v1::HouseholdDetail* out) {
  Encode(household.household, view, out->mutable_household());
  for (const MemberRecord& member : household.members) {
    v1::Member* encoded = out->add_members();
    encoded->set_member_id(member.member_id);
    encoded->set_household_id(member.household_id);
    const bool full = view == PersonalDataView::kFull;
    encoded->set_name(full ? member.name : MaskName(member.name));
    encoded->set_phone(full ? member.phone : MaskPhone(member.phone));
    encoded->set_is_head(member.is_head);
    encoded->set_staff_user_id(member.staff_user_id);
  }
}

FullPersonalDataView FullViewOf(const auth::Caller& caller, const HouseholdWithMembers& household) {
  FullPersonalDataView view;
  view.village_id = household.household.record.village_id;
  view.rpc = "GetHousehold";
  view.token_id = caller.token_id;
  view.household_id = household.household.record.household_id;
  for (const MemberRecord& member : household.members) view.member_ids.push_back(member.member_id);
  return view;
}

FullPersonalDataView FullViewOf(const auth::Caller& caller, const HouseholdQuery& query,
                                const HouseholdPage& page) {
  FullPersonalDataView view;
  view.village_id = query.village_id;
  view.rpc = "ListHouseholds";
  view.token_id = caller.token_id;
  view.group_id = query.group_id;
  view.grid_id = query.grid_id;
  for (const RegistryHousehold& household : page.households) {
    view.household_ids.push_back(household.record.household_id);
  }
  return view;
}

}  // namespace

RegistryServiceImpl::RegistryServiceImpl(const ScoringContext& context) : calls_(context.calls) {
  absl::StatusOr<std::unique_ptr<RegistryRepository>> repository = MakeRepository(context);
  if (repository.ok()) {
    repository_ = *std::move(repository);
    views_ = std::make_unique<MySqlPersonalDataViewLog>(*context.pool);
  } else {
    init_status_ = absl::FailedPreconditionError(
        absl::StrCat("registry cannot start: ", repository.status().message()));
  }
}

RegistryServiceImpl::RegistryServiceImpl(const grpc_util::CallHandler* calls,
                                         std::unique_ptr<RegistryRepository> repository,
                                         std::unique_ptr<PersonalDataViewLog> views)
    : calls_(calls), repository_(std::move(repository)), views_(std::move(views)) {
  if (repository_ == nullptr || views_ == nullptr) {
    init_status_ = absl::FailedPreconditionError("no repository or no personal data view log");
  }
}

grpc::Status RegistryServiceImpl::Serve(
    grpc::ServerContext* context, absl::string_view method,
    const std::function<absl::Status(const auth::Caller&)>& body) {
  return calls_->Serve(context, method, [&](const auth::Caller& caller) -> absl::Status {
    // A misconfigured service must not look like a client error: INTERNAL, logged in full.
    if (!init_status_.ok()) return absl::InternalError(init_status_.message());
    return body(caller);
  });
}

absl::Status RegistryServiceImpl::LoadTeam(const auth::Caller& caller,
                                           std::unique_ptr<TeamRecord>& team) {
  if (!NeedsTeam(caller) || caller.team_id == 0) return absl::OkStatus();
  absl::StatusOr<TeamRecord> found = repository_->FindTeam(caller.team_id);
  if (absl::IsNotFound(found.status())) return absl::OkStatus();
  RETURN_IF_ERROR(found.status());
  team = std::make_unique<TeamRecord>(*std::move(found));
  return absl::OkStatus();
}

absl::Status RegistryServiceImpl::LoadGrid(const auth::Caller& caller,
                                           std::unique_ptr<GridRecord>& grid) {
  if (!NeedsGrid(caller) || caller.grid_id == 0) return absl::OkStatus();
  absl::StatusOr<GridRecord> found = repository_->FindGrid(caller.grid_id);
  if (absl::IsNotFound(found.status())) return absl::OkStatus();
  RETURN_IF_ERROR(found.status());
  grid = std::make_unique<GridRecord>(*std::move(found));
  return absl::OkStatus();
}

grpc::Status RegistryServiceImpl::CreateTown(grpc::ServerContext* context,
                                             const v1::CreateTownRequest* request,
                                             v1::Town* response) {
  return Serve(context, "CreateTown", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(AuthorizeOrganisationWrite(caller));
    ASSIGN_OR_RETURN(const std::string name,
                     WithField("name", CleanName(request->name(), "镇（街道）名称")));
    ASSIGN_OR_RETURN(const TownRecord town, repository_->CreateTown(ActorOf(caller), name));
    response->set_town_id(town.town_id);
    response->set_name(town.name);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::CreateVillage(grpc::ServerContext* context,
                                                const v1::CreateVillageRequest* request,
                                                v1::Village* response) {
  return Serve(context, "CreateVillage", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(AuthorizeOrganisationWrite(caller));
    RETURN_IF_ERROR(RequireId(request->town_id(), "town_id"));
    ASSIGN_OR_RETURN(const std::string name, WithField("name", CleanName(request->name(), "村名")));
    ASSIGN_OR_RETURN(const VillageRecord village,
                     repository_->CreateVillage(ActorOf(caller), request->town_id(), name));
    response->set_village_id(village.village_id);
    response->set_town_id(village.town_id);
    response->set_name(village.name);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::CreateGroup(grpc::ServerContext* context,
                                              const v1::CreateGroupRequest* request,
                                              v1::Group* response) {
  return Serve(context, "CreateGroup", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->village_id(), "village_id"));
    RETURN_IF_ERROR(AuthorizeVillageWrite(caller, request->village_id()));
    ASSIGN_OR_RETURN(const std::string name,
                     WithField("name", CleanName(request->name(), "村民小组名称")));
    ASSIGN_OR_RETURN(const GroupRecord group,
                     repository_->CreateGroup(ActorOf(caller), request->village_id(), name));
    response->set_group_id(group.group_id);
    response->set_village_id(group.village_id);
    response->set_name(group.name);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::CreateGrid(grpc::ServerContext* context,
                                             const v1::CreateGridRequest* request,
                                             v1::Grid* response) {
  return Serve(context, "CreateGrid", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->village_id(), "village_id"));
    RETURN_IF_ERROR(AuthorizeVillageWrite(caller, request->village_id()));
    GridRecord grid;
    grid.village_id = request->village_id();
    ASSIGN_OR_RETURN(grid.name, WithField("name", CleanName(request->name(), "网格名称")));
    ASSIGN_OR_RETURN(grid.worker_user_id,
                     WithField("worker_user_id", CleanUserId(request->worker_user_id(), "网格员")));
    ASSIGN_OR_RETURN(const GridRecord created, repository_->CreateGrid(ActorOf(caller), grid));
    Encode(created, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::GetGrid(grpc::ServerContext* context,
                                          const v1::GetGridRequest* request, v1::Grid* response) {
  return Serve(context, "GetGrid", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->grid_id(), "grid_id"));
    ASSIGN_OR_RETURN(const GridRecord grid, repository_->FindGrid(request->grid_id()));
    // A town official's scope is decided by the grid village's town.
    ASSIGN_OR_RETURN(const VillageRecord village, repository_->FindVillage(grid.village_id));
    RETURN_IF_ERROR(AuthorizeGridRead(caller, village));
    Encode(grid, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::AssignGridWorker(grpc::ServerContext* context,
                                                   const v1::AssignGridWorkerRequest* request,
                                                   v1::Grid* response) {
  return Serve(context, "AssignGridWorker", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->grid_id(), "grid_id"));
    if (!request->has_worker_user_id()) {
      return absl::InvalidArgumentError(
          "worker_user_id: required (\"\" removes the grid's worker)");
    }
    ASSIGN_OR_RETURN(const std::string worker,
                     WithField("worker_user_id", CleanUserId(request->worker_user_id(), "网格员")));
    std::optional<std::string> current;
    if (request->check_current_worker()) {
      ASSIGN_OR_RETURN(current,
                       WithField("current_worker_user_id",
                                 CleanUserId(request->current_worker_user_id(), "现任网格员")));
    }
    // The grid's village decides who may change it; grids never move, so it is still the grid's
    // village when the repository writes.
    ASSIGN_OR_RETURN(const GridRecord grid, repository_->FindGrid(request->grid_id()));
    RETURN_IF_ERROR(AuthorizeGridWorkerAssignment(caller, grid.village_id));
    ASSIGN_OR_RETURN(const GridRecord assigned,
                     repository_->AssignGridWorker(ActorOf(caller), grid.village_id, grid.grid_id,
                                                   worker, current));
    Encode(assigned, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::CreateTeam(grpc::ServerContext* context,
                                             const v1::CreateTeamRequest* request,
                                             v1::AssessmentTeam* response) {
  return Serve(context, "CreateTeam", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->village_id(), "village_id"));
    RETURN_IF_ERROR(AuthorizeVillageWrite(caller, request->village_id()));
    TeamRecord team;
    team.village_id = request->village_id();
    ASSIGN_OR_RETURN(team.name, WithField("name", CleanName(request->name(), "考核小组名称")));
    if (request->group_ids_size() == 0 || request->group_ids_size() > kTeamGroupsMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("group_ids: 考核小组负责1至", kTeamGroupsMax, "个村民小组"));
    }
    for (int64_t group_id : request->group_ids()) {
      RETURN_IF_ERROR(RequireId(group_id, "group_ids"));
      team.group_ids.push_back(group_id);
    }
    ASSIGN_OR_RETURN(const TeamRecord created, repository_->CreateTeam(ActorOf(caller), team));
    Encode(created, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::GetTeam(grpc::ServerContext* context,
                                          const v1::GetTeamRequest* request,
                                          v1::AssessmentTeam* response) {
  return Serve(context, "GetTeam", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->team_id(), "team_id"));
    ASSIGN_OR_RETURN(const TeamRecord team, repository_->FindTeam(request->team_id()));
    ASSIGN_OR_RETURN(const VillageRecord village, repository_->FindVillage(team.village_id));
    RETURN_IF_ERROR(AuthorizeTeamRead(caller, village, team));
    Encode(team, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::CreateHousehold(grpc::ServerContext* context,
                                                  const v1::CreateHouseholdRequest* request,
                                                  v1::HouseholdDetail* response) {
  return Serve(context, "CreateHousehold", [&](const auth::Caller& caller) -> absl::Status {
    const v1::Household& household = request->household();
    RETURN_IF_ERROR(RequireId(household.village_id(), "household.village_id"));
    RETURN_IF_ERROR(AuthorizeVillageWrite(caller, household.village_id()));
    HouseholdDraft draft;
    draft.village_id = household.village_id();
    draft.group_id = household.group_id();
    draft.grid_id = household.grid_id();
    draft.house_number = household.house_number();
    draft.head_name = household.head_name();
    if (household.kind() == v1::HOUSEHOLD_KIND_REGISTERED) draft.registered = true;
    if (household.kind() == v1::HOUSEHOLD_KIND_NON_REGISTERED) draft.registered = false;
    draft.consent_date = household.consent_date();
    draft.rents_out_rooms = household.rents_out_rooms();
    draft.steward_user_id = household.steward_user_id();
    for (const v1::Member& member : request->members()) {
      draft.members.push_back(
          {member.name(), member.phone(), member.is_head(), member.staff_user_id()});
    }
    ASSIGN_OR_RETURN(const HouseholdWithMembers clean,
                     CleanHouseholdDraft(draft, FormatDate(absl::Now())));
    ASSIGN_OR_RETURN(const HouseholdWithMembers created,
                     repository_->CreateHousehold(ActorOf(caller), clean));
    // The creator typed these details; only the village's admin gets them back unmasked.
    const bool own_village =
        caller.role == auth::Role::kVillageAdmin && caller.village_id == household.village_id();
    Encode(created, own_village ? PersonalDataView::kFull : PersonalDataView::kMasked, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::GetHousehold(grpc::ServerContext* context,
                                               const v1::GetHouseholdRequest* request,
                                               v1::HouseholdDetail* response) {
  return Serve(context, "GetHousehold", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->household_id(), "household_id"));
    // A resident's scope is one household: refuse others before saying whether they exist.
    if (caller.role == auth::Role::kResident && caller.household_id != request->household_id()) {
      return absl::PermissionDeniedError("resident may not see another household");
    }
    ASSIGN_OR_RETURN(const HouseholdWithMembers household,
                     repository_->GetHousehold(request->household_id()));
    std::unique_ptr<TeamRecord> team;
    RETURN_IF_ERROR(LoadTeam(caller, team));
    ASSIGN_OR_RETURN(const PersonalDataView view,
                     AuthorizeHouseholdRead(caller, household.household.record, team.get()));
    // Recorded before it is shown: no record, no full view.
    if (view == PersonalDataView::kFull) {
      RETURN_IF_ERROR(views_->Record(ActorOf(caller), FullViewOf(caller, household)));
    }
    Encode(household, view, response);
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::ListHouseholds(grpc::ServerContext* context,
                                                 const v1::ListHouseholdsRequest* request,
                                                 v1::ListHouseholdsResponse* response) {
  return Serve(context, "ListHouseholds", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->village_id(), "village_id"));
    if (request->group_id() < 0) return absl::InvalidArgumentError("group_id: must be 0 or more");
    if (request->grid_id() < 0) return absl::InvalidArgumentError("grid_id: must be 0 or more");
    const int page_size = request->page_size() == 0 ? kPageSizeDefault : request->page_size();
    if (page_size < 1 || page_size > kPageSizeMax) {
      return absl::InvalidArgumentError(absl::StrCat("page_size must be 1..", kPageSizeMax));
    }
    ASSIGN_OR_RETURN(const int64_t after, ParsePageToken(request->page_token()));
    if (caller.role == auth::Role::kResident) {
      return absl::PermissionDeniedError("resident may not list households");
    }
    // Staff bound to a village are refused elsewhere before learning whether the village exists.
    if (IsVillageBound(caller) && caller.village_id != request->village_id()) {
      return absl::PermissionDeniedError(
          absl::StrCat(auth::RoleName(caller.role), " may not list another village"));
    }
    ASSIGN_OR_RETURN(const VillageRecord village, repository_->FindVillage(request->village_id()));
    std::unique_ptr<TeamRecord> team;
    RETURN_IF_ERROR(LoadTeam(caller, team));
    std::unique_ptr<GridRecord> grid;
    RETURN_IF_ERROR(LoadGrid(caller, grid));
    ASSIGN_OR_RETURN(HouseholdListScope scope,
                     AuthorizeHouseholdList(caller, village, request->group_id(),
                                            request->grid_id(), team.get(), grid.get()));
    RETURN_IF_ERROR(CheckHouseholdFilters(*repository_, village.village_id, request->group_id(),
                                          request->grid_id()));
    scope.query.after_household_id = after;
    scope.query.page_size = page_size;
    ASSIGN_OR_RETURN(const HouseholdPage page, repository_->ListHouseholds(scope.query));
    if (scope.view == PersonalDataView::kFull && !page.households.empty()) {
      RETURN_IF_ERROR(views_->Record(ActorOf(caller), FullViewOf(caller, scope.query, page)));
    }
    for (const RegistryHousehold& household : page.households) {
      Encode(household, scope.view, response->add_households());
    }
    if (page.last_household_id != 0) {
      response->set_next_page_token(PageToken(page.last_household_id));
    }
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::ListVillages(grpc::ServerContext* context,
                                               const v1::ListVillagesRequest* request,
                                               v1::ListVillagesResponse* response) {
  return Serve(context, "ListVillages", [&](const auth::Caller& caller) -> absl::Status {
    if (request->town_id() < 0) return absl::InvalidArgumentError("town_id must be 0 or positive");
    if (request->village_id() < 0) {
      return absl::InvalidArgumentError("village_id must be 0 or positive");
    }
    // Who may list at all is decided before any village is looked up.
    RETURN_IF_ERROR(AuthorizeVillageList(caller, 0).status());
    VillageQuery query;
    if (caller.role == auth::Role::kResident && request->village_id() != 0 &&
        request->village_id() != caller.village_id) {
      return absl::PermissionDeniedError("resident may not list another village");
    }
    if (request->village_id() != 0 && caller.role != auth::Role::kResident) {
      ASSIGN_OR_RETURN(const VillageRecord village,
                       repository_->FindVillage(request->village_id()));
      RETURN_IF_ERROR(AuthorizeVillagePartRead(caller, village, "the village"));
      if (request->town_id() != 0 && request->town_id() != village.town_id) {
        return absl::InvalidArgumentError(absl::StrCat(
            "VILLAGE_NOT_IN_TOWN: village_id: village ", village.village_id, " is not of town ",
            request->town_id()));
      }
      query.village_id = village.village_id;
    } else {
      ASSIGN_OR_RETURN(query, AuthorizeVillageList(caller, request->town_id()));
    }
    ASSIGN_OR_RETURN(const VillageListing listing, repository_->ListVillages(query));
    for (const TownRecord& town : listing.towns) {
      v1::Town* out = response->add_towns();
      out->set_town_id(town.town_id);
      out->set_name(town.name);
    }
    for (const VillageRecord& village : listing.villages) {
      v1::Village* out = response->add_villages();
      out->set_village_id(village.village_id);
      out->set_town_id(village.town_id);
      out->set_name(village.name);
    }
    for (const GroupRecord& group : listing.groups) {
      v1::Group* out = response->add_groups();
      out->set_group_id(group.group_id);
      out->set_village_id(group.village_id);
      out->set_name(group.name);
    }
    for (const GridRecord& grid : listing.grids) Encode(grid, response->add_grids());
    for (const TeamRecord& team : listing.teams) Encode(team, response->add_teams());
    return absl::OkStatus();
  });
}

grpc::Status RegistryServiceImpl::ImportRoster(grpc::ServerContext* context,
                                               const v1::ImportRosterRequest* request,
                                               v1::ImportRosterResponse* response) {
  return Serve(context, "ImportRoster", [&](const auth::Caller& caller) -> absl::Status {
    RETURN_IF_ERROR(RequireId(request->village_id(), "village_id"));
    RETURN_IF_ERROR(AuthorizeVillageWrite(caller, request->village_id()));
    ASSIGN_OR_RETURN(ParsedRoster parsed, ParseRoster(request->csv(), FormatDate(absl::Now())));
    RosterImportResult result;
    if (!parsed.plan.households.empty()) {
      // With refused rows nothing is written (the plan then holds their households too), but
      // every household is still checked against the registry, as a dry run, so that one report
      // names every problem.
      ASSIGN_OR_RETURN(
          result, repository_->ImportRoster(ActorOf(caller), request->village_id(), parsed.plan,
                                            request->dry_run() || !parsed.all_ok));
    }
    AddRosterConflicts(result.conflicts, parsed.rows);
    const bool clean = parsed.all_ok && result.conflicts.empty();
    response->set_applied(clean && result.applied);
    if (clean) {
      response->set_households_created(result.households_created);
      response->set_members_created(result.members_created);
      response->set_groups_created(result.groups_created);
    }
    for (const RosterRowReport& row : parsed.rows) {
      v1::ImportRowReport* out = response->add_rows();
      out->set_line(row.line);
      out->set_ok(row.ok);
      out->set_error(row.error);
    }
    log::Info("roster import",
              {{"user_id", caller.user_id},
               {"village_id", absl::StrCat(request->village_id())},
               {"dry_run", request->dry_run() ? "true" : "false"},
               {"applied", response->applied() ? "true" : "false"},
               {"rows", absl::StrCat(parsed.rows.size())},
               {"households_created", absl::StrCat(response->households_created())}});
    return absl::OkStatus();
  });
}

}  // namespace jifen::scoring
