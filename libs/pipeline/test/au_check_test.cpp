// The action-unit specificity sweep (pipeline::RunAuCheck, docs/action_units.md#specificity)
// at CI size: two faces, a still head, every single AU and the EMFACS prototypes at
// intensity 4, rendered and extracted. What it guards is the end-to-end path (render,
// track, pose, neutral, read-out): each driven AU is read, prototypes read their defining
// AUs, and an expression on a still head does not move the fitted pose. Specificity: the
// failures of the per-AU linear read-out that the joint one removed stay removed (sadness
// read as AU01 0.4 / AU04 0.8, a blink as AU07 4.5, a jaw drop as AU25 3.6; 36 off-driven
// readings >= 1.0, the largest 4.5). The target, every off-driven reading < 1.0,
// is not met (docs/action_units.md#specificity).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "mimicry/face/facs.h"
#include "mimicry/pipeline/au_check.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using namespace mimicry::testing;  // NOLINT

const std::string kAssetsDir = MIMICRY_ASSETS_DIR;

double At(const AuCheckResult& r, const std::string& cond, int code) {
  for (size_t k = 0; k < r.conditions.size(); ++k)
    if (r.conditions[k].name == cond) return r.mean[k][static_cast<size_t>(face::AuIndex(code))];
  ADD_FAILURE() << "no condition " << cond;
  return 0;
}

TEST(AuCheck, DrivenAusAreReadAndStillHeadsKeepTheirPose) {
  if (!fs::exists(kAssetsDir + "/astronaut.png")) GTEST_SKIP() << "build/assets absent";
  TempDir d;
  AuCheckOptions o;
  o.faces = {kAssetsDir + "/astronaut.png", kAssetsDir + "/faces/Tom_Cruise_avp_2014_4.jpg"};
  o.work_dir = d / "work";
  auto r = RunAuCheck(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->faces, 2);
  double worst_pose = 0, worst_other = 0;
  int over1 = 0;
  for (size_t k = 0; k < r->conditions.size(); ++k) {
    const auto& c = r->conditions[k];
    worst_pose = std::max(worst_pose, *std::max_element(r->pose_shift_deg[k].begin(), r->pose_shift_deg[k].end()));
    for (size_t j = 0; j < face::kAuCodes.size(); ++j) {
      const int code = face::kAuCodes[j];
      if (std::find(c.aus.begin(), c.aus.end(), code) != c.aus.end()) continue;
      worst_other = std::max(worst_other, r->mean[k][j]);
      if (r->mean[k][j] >= 1.0) ++over1;
    }
    if (c.aus.size() == 1) {
      // Every AU alone at 4 is read (mean over the faces); the weakest (AU23, AU45, at
      // 1.1-1.9) lose half their field to the landmark model and the fitted neutral.
      EXPECT_GE(r->mean[k][static_cast<size_t>(face::AuIndex(c.aus[0]))], 1.0) << c.name;
    }
  }
  std::printf("[ figures ] AU check, 2 faces, still head: largest off-driven mean reading %.2f, %d readings >= 1.0; "
              "largest pose shift %.2f deg\n", worst_other, over1, worst_pose);
  // The prototypes' driven AUs are read (at least), and known crosstalk stays small (below).
  struct Reading {
    const char* check;
    int au;
    double bound;
  };
  for (const Reading& x : {Reading{"happiness 6+12", 6, 2.0}, Reading{"happiness 6+12", 12, 2.0}, Reading{"surprise 1+2+5+26", 1, 1.5},
                           Reading{"surprise 1+2+5+26", 2, 1.5}, Reading{"surprise 1+2+5+26", 26, 2.0}, Reading{"disgust 9+15+17", 15, 2.0},
                           Reading{"sadness 1+4+15", 1, 1.5}, Reading{"sadness 1+4+15", 4, 1.5}, Reading{"anger 4+5+7+23", 4, 2.0}})
    EXPECT_GE(At(*r, x.check, x.au), x.bound) << x.check << " AU" << x.au;
  for (const Reading& x : {Reading{"AU45", 7, 2.5}, Reading{"AU26", 25, 1.5}, Reading{"AU25", 23, 1.5}})
    EXPECT_LT(At(*r, x.check, x.au), x.bound) << x.check << " AU" << x.au;
  EXPECT_LE(over1, 28);
  EXPECT_LT(worst_other, 3.5);
  // The target is 1 degree; reached: 1.8 (docs/action_units.md#specificity).
  EXPECT_LT(worst_pose, 2.5);
}

TEST(AuCheck, BadOptionsAreErrors) {
  AuCheckOptions o;
  o.work_dir = "/tmp/unused";
  o.intensity = 6;
  EXPECT_EQ(RunAuCheck(o).status().code(), StatusCode::kInvalidArgument);
  o.intensity = 4;
  o.head_motion_deg = -1;
  EXPECT_EQ(RunAuCheck(o).status().code(), StatusCode::kInvalidArgument);
  o.head_motion_deg = 0;
  o.work_dir.clear();
  EXPECT_EQ(RunAuCheck(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mimicry::pipeline
