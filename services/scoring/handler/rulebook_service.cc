#include "services/scoring/handler/rulebook_service.h"

#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/period.h"

namespace jifen::scoring {
namespace {

RuleItemSpec FromProto(const v1::RuleItem& item) {
  RuleItemSpec spec;
  spec.code = item.code();
  spec.name = item.name();
  spec.category = item.category();
  spec.scope = item.scope();
  spec.points = item.points();
  spec.cap_points_per_period = item.cap_points_per_period();
  spec.photo_required = item.photo_required();
  spec.allowed_roles.assign(item.allowed_roles().begin(), item.allowed_roles().end());
  return spec;
}

void ToProto(const RuleItemSpec& spec, v1::RuleItem* item) {
  item->set_code(spec.code);
  item->set_name(spec.name);
  item->set_category(static_cast<v1::Category>(spec.category));
  item->set_scope(static_cast<v1::Scope>(spec.scope));
  item->set_points(spec.points);
  item->set_cap_points_per_period(spec.cap_points_per_period);
  item->set_photo_required(spec.photo_required);
  for (const std::string& role : spec.allowed_roles) item->add_allowed_roles(role);
}

void ToProto(const RulebookRecord& record, bool with_items, v1::Rulebook* rulebook) {
  rulebook->set_rulebook_id(record.rulebook_id);
  rulebook->set_village_id(record.village_id);
  rulebook->set_year(record.year);
  rulebook->set_version(record.version);
  rulebook->set_effective_from(record.effective_from);
  rulebook->set_state(record.state == kRulebookPublished ? v1::RULEBOOK_STATE_PUBLISHED
                                                         : v1::RULEBOOK_STATE_DRAFT);
  rulebook->set_published_at_ms(record.published_at_ms);
  if (record.vote.has_value()) {
    v1::Vote* vote = rulebook->mutable_vote();
    vote->set_meeting_date(record.vote->meeting_date);
    vote->set_members(record.vote->members);
    vote->set_attending(record.vote->attending);
    vote->set_in_favour(record.vote->in_favour);
    vote->set_against(record.vote->against);
    vote->set_abstain(record.vote->abstain);
  }
  if (with_items) {
    for (const RuleItemSpec& item : record.items) ToProto(item, rulebook->add_items());
  }
}

Actor ActorOf(const auth::Caller& caller) {
  return {caller.user_id, std::string(auth::RoleName(caller.role)), caller.request_id};
}

}  // namespace

// Rulebooks are public within their village (residents see what they are scored by) and to those
// who supervise it: the district, and town officials for their own town's villages. The template
// is public to all.
absl::Status RulebookServiceImpl::CheckCanReadRulebooksOf(const auth::Caller& caller,
                                                          int64_t village_id) {
  if (village_id == 0 || caller.IsService() || caller.IsDistrict()) return absl::OkStatus();
  if (caller.role == auth::Role::kTownOfficial) {
    ASSIGN_OR_RETURN(const int64_t town_id, context_.households->TownOfVillage(village_id));
    return CheckCanReadVillage(caller, village_id, town_id);
  }
  if (caller.village_id == village_id) return absl::OkStatus();
  return absl::PermissionDeniedError("this rulebook belongs to another village");
}

absl::StatusOr<RulebookRecord> RulebookServiceImpl::Readable(const auth::Caller& caller,
                                                             int64_t rulebook_id) {
  if (rulebook_id <= 0) return absl::InvalidArgumentError("rulebook_id is required");
  ASSIGN_OR_RETURN(RulebookRecord record, rulebooks_.Get(rulebook_id));
  RETURN_IF_ERROR(CheckCanReadRulebooksOf(caller, record.village_id));
  return record;
}

absl::StatusOr<RulebookRecord> RulebookServiceImpl::Administrable(const auth::Caller& caller,
                                                                  int64_t rulebook_id) {
  if (rulebook_id <= 0) return absl::InvalidArgumentError("rulebook_id is required");
  ASSIGN_OR_RETURN(RulebookRecord record, rulebooks_.Get(rulebook_id));
  RETURN_IF_ERROR(CheckVillageAdmin(caller, record.village_id));
  return record;
}

grpc::Status RulebookServiceImpl::GetTemplate(grpc::ServerContext* context,
                                              const v1::GetTemplateRequest* request,
                                              v1::Rulebook* response) {
  return context_.calls->Serve(context, "GetTemplate", [&](const auth::Caller&) {
    ASSIGN_OR_RETURN(const RulebookRecord record, rulebooks_.Template());
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::CreateDraft(grpc::ServerContext* context,
                                              const v1::CreateDraftRequest* request,
                                              v1::Rulebook* response) {
  return context_.calls->Serve(context, "CreateDraft", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(CheckVillageAdmin(caller, request->village_id()));
    if (request->year() < 2000 || request->year() > 2100) {
      return absl::InvalidArgumentError("year: must be 2000..2100");
    }
    ASSIGN_OR_RETURN(const RulebookRecord record,
                     rulebooks_.CreateDraft(request->village_id(), request->year(),
                                            request->effective_from(),
                                            absl::ToUnixMillis(absl::Now()), ActorOf(caller)));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::GetRulebook(grpc::ServerContext* context,
                                              const v1::GetRulebookRequest* request,
                                              v1::Rulebook* response) {
  return context_.calls->Serve(context, "GetRulebook", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(const RulebookRecord record, Readable(caller, request->rulebook_id()));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::GetRulebookInForce(grpc::ServerContext* context,
                                                     const v1::GetRulebookInForceRequest* request,
                                                     v1::Rulebook* response) {
  return context_.calls->Serve(context, "GetRulebookInForce", [&](const auth::Caller& caller) {
    if (request->village_id() <= 0) return absl::InvalidArgumentError("village_id is required");
    RETURN_IF_ERROR(CheckCanReadRulebooksOf(caller, request->village_id()));
    std::string date = request->date();
    if (date.empty()) {
      date = FormatDate(absl::Now());
    } else {
      RETURN_IF_ERROR(ParseDate(date, "date").status());
    }
    ASSIGN_OR_RETURN(const RulebookRecord record, rulebooks_.InForce(request->village_id(), date));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::ListRulebooks(grpc::ServerContext* context,
                                                const v1::ListRulebooksRequest* request,
                                                v1::ListRulebooksResponse* response) {
  return context_.calls->Serve(context, "ListRulebooks", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(CheckCanReadRulebooksOf(caller, request->village_id()));
    ASSIGN_OR_RETURN(const std::vector<RulebookRecord> records,
                     rulebooks_.List(request->village_id(), request->year()));
    for (const RulebookRecord& record : records) {
      ToProto(record, false, response->add_rulebooks());
    }
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::PutItem(grpc::ServerContext* context,
                                          const v1::PutItemRequest* request,
                                          v1::Rulebook* response) {
  return context_.calls->Serve(context, "PutItem", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(Administrable(caller, request->rulebook_id()).status());
    ASSIGN_OR_RETURN(const RulebookRecord record,
                     rulebooks_.PutItem(request->rulebook_id(), FromProto(request->item()),
                                        ActorOf(caller)));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::RemoveItem(grpc::ServerContext* context,
                                             const v1::RemoveItemRequest* request,
                                             v1::Rulebook* response) {
  return context_.calls->Serve(context, "RemoveItem", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(Administrable(caller, request->rulebook_id()).status());
    ASSIGN_OR_RETURN(const RulebookRecord record,
                     rulebooks_.RemoveItem(request->rulebook_id(), request->code(),
                                           ActorOf(caller)));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::RecordVote(grpc::ServerContext* context,
                                             const v1::RecordVoteRequest* request,
                                             v1::Rulebook* response) {
  return context_.calls->Serve(context, "RecordVote", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(Administrable(caller, request->rulebook_id()).status());
    const v1::Vote& vote = request->vote();
    RETURN_IF_ERROR(ParseDate(vote.meeting_date(), "vote.meeting_date").status());
    // The vote is recorded after the meeting; a date still to come is a typing error.
    if (vote.meeting_date() > FormatDate(absl::Now())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vote.meeting_date: ", vote.meeting_date(), " is in the future; record the vote after "
          "the villager representatives' meeting, with the day it was held"));
    }
    ASSIGN_OR_RETURN(const RulebookRecord record,
                     rulebooks_.RecordVote(request->rulebook_id(),
                                           {vote.meeting_date(), vote.members(), vote.attending(),
                                            vote.in_favour(), vote.against(), vote.abstain()},
                                           ActorOf(caller)));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::Publish(grpc::ServerContext* context,
                                          const v1::PublishRequest* request,
                                          v1::Rulebook* response) {
  return context_.calls->Serve(context, "Publish", [&](const auth::Caller& caller) {
    RETURN_IF_ERROR(Administrable(caller, request->rulebook_id()).status());
    ASSIGN_OR_RETURN(const RulebookRecord record,
                     rulebooks_.Publish(request->rulebook_id(), absl::ToUnixMillis(absl::Now()),
                                        ActorOf(caller)));
    ToProto(record, true, response);
    return absl::OkStatus();
  });
}

grpc::Status RulebookServiceImpl::DiffAgainstTemplate(
    grpc::ServerContext* context, const v1::DiffAgainstTemplateRequest* request,
    v1::DiffAgainstTemplateResponse* response) {
  return context_.calls->Serve(context, "DiffAgainstTemplate", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(const RulebookRecord record, Readable(caller, request->rulebook_id()));
    ASSIGN_OR_RETURN(const RulebookRecord template_rulebook, rulebooks_.Template());
    const RulebookDiff diff = DiffRulebooks(template_rulebook.items, record.items);
    for (const RuleItemSpec& item : diff.added) ToProto(item, response->add_added());
    for (const RuleItemSpec& item : diff.removed) ToProto(item, response->add_removed());
    for (const ItemChange& change : diff.changed) {
      v1::ItemChange* out = response->add_changed();
      ToProto(change.template_item, out->mutable_template_item());
      ToProto(change.village_item, out->mutable_village_item());
    }
    return absl::OkStatus();
  });
}

}  // namespace jifen::scoring
