#include "services/audit/handler/figures_proto.h"

namespace jifen::audit {

void FiguresToProto(const DashboardFigures& f, v1::Dashboard* out) {
  out->set_year(f.year);
  out->set_figures_oldest_ms(f.figures_oldest_ms);
  out->set_villages_with_figures(f.villages_with_figures);
  out->set_households_registered(f.households_registered);
  out->set_households_opted_in(f.households_opted_in);
  for (const QuarterFigures& q : f.quarters) {
    v1::QuarterFigures* quarter = out->add_quarters();
    quarter->set_period(q.period);
    quarter->set_households_scored(q.households_scored);
    quarter->set_participation_permille(q.participation_permille);
    for (int64_t households : q.distribution) quarter->add_distribution(households);
    quarter->set_red_count(q.red_count);
    quarter->set_black_count(q.black_count);
    quarter->set_villages_with_window(q.villages_with_window);
  }
  out->set_budget_fen(f.budget_fen);
  out->set_redeemed_value_fen(f.redeemed_value_fen);
  out->set_funding_fen(f.funding_fen);
  out->set_villages_budget_lower(f.villages_budget_lower);
  out->set_villages_rulebook_published(f.villages_rulebook_published);
  out->set_villages_chain_broken(f.villages_chain_broken);
}

void ChecklistToProto(const Checklist& checklist, v1::VisitChecklist* out) {
  out->set_village_id(checklist.village_id);
  out->set_year(checklist.year);
  for (const std::string& period : checklist.quarters_due) out->add_quarters_checked(period);
  for (const ChecklistItem& item : checklist.items) {
    v1::ChecklistItem* i = out->add_items();
    i->set_check(item.check);
    i->set_outcome(static_cast<v1::ChecklistOutcome>(item.outcome));
    i->set_summary(item.summary);
    for (const std::string& evidence : item.evidence) i->add_evidence(evidence);
  }
}

}  // namespace jifen::audit
