// Figures and checklists to their proto messages.
#pragma once

#include "jifen/audit/v1/supervision.pb.h"
#include "services/audit/domain/figures.h"
#include "services/audit/domain/visit_checklist.h"

namespace jifen::audit {

// Fills the figure fields of `out` (the supervision counts are set by the caller).
void FiguresToProto(const DashboardFigures& figures, v1::Dashboard* out);
void ChecklistToProto(const Checklist& checklist, v1::VisitChecklist* out);

}  // namespace jifen::audit
