// Participation as the dashboard shows it, from the summed figures. SupervisionFigures over the
// real services and storage (visit preparation, refresh, scopes) is tested in
// services/audit/checklist_process_test.cc.
#include "services/audit/domain/figures.h"

#include "gtest/gtest.h"

namespace jifen::audit {
namespace {

TEST(ComputeParticipation, ScoredOverHouseholdsUnderManagement) {
  DashboardFigures figures;
  figures.households_registered = 6;
  figures.households_opted_in = 2;
  figures.quarters.resize(2);
  figures.quarters[0].households_scored = 6;
  figures.quarters[1].households_scored = 8;
  ComputeParticipation(figures);
  EXPECT_EQ(figures.quarters[0].participation_permille, 750);
  EXPECT_EQ(figures.quarters[1].participation_permille, 1000);
}

TEST(ComputeParticipation, NoHouseholdsIsZeroNotADivision) {
  DashboardFigures figures;
  figures.quarters.resize(1);
  ComputeParticipation(figures);
  EXPECT_EQ(figures.quarters[0].participation_permille, 0);
}

}  // namespace
}  // namespace jifen::audit
