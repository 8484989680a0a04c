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

// A quarter is measured against the households it could score (registered by its end, or scored
// in it) where the figures know them, not against today's roster.
TEST(ComputeParticipation, AQuarterKnownHouseholdsAreItsDenominator) {
  DashboardFigures figures;
  figures.households_registered = 8;
  figures.quarters.resize(3);
  figures.quarters[0].households_scored = 2;
  figures.quarters[0].households_in_registry = 4;
  figures.quarters[1].households_scored = 0;
  figures.quarters[1].households_in_registry = 0;  // no households yet: none to score
  figures.quarters[2].households_scored = 2;       // figures from before it was stored (-1)
  ComputeParticipation(figures);
  EXPECT_EQ(figures.quarters[0].participation_permille, 500);
  EXPECT_EQ(figures.quarters[1].participation_permille, 0);
  EXPECT_EQ(figures.quarters[2].participation_permille, 250);
}

TEST(ComputeParticipation, NoHouseholdsIsZeroNotADivision) {
  DashboardFigures figures;
  figures.quarters.resize(1);
  ComputeParticipation(figures);
  EXPECT_EQ(figures.quarters[0].participation_permille, 0);
}

}  // namespace
}  // namespace jifen::audit
