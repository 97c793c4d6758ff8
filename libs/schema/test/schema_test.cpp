#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mimicry/schema/feature_table.h"
#include "mimicry/schema/vocabulary.h"

namespace mimicry::schema {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "mimicry_schema_test";
  std::filesystem::create_directories(dir);
  const std::string p = (dir / name).string();
  std::ofstream(p) << text;
  return p;
}

TEST(Vocabulary, CodesNamesAndIndices) {
  EXPECT_EQ(kNumAus, 17);
  EXPECT_EQ(AuName(1), "AU01");
  EXPECT_EQ(AuName(45), "AU45");
  EXPECT_EQ(AuIndex(12), 8);
  EXPECT_EQ(AuIndex(45), 16);
  EXPECT_EQ(AuIndex(3), -1);  // not one of OpenFace's 17
  static_assert(AuIndex(1) == 0, "usable at compile time");
}

TEST(Vocabulary, TheFeatureChannelsSitAtTheirNamedPositions) {
  const SeriesHeader h = FeatureHeader();
  ASSERT_EQ(h.channels.size(), static_cast<size_t>(kFeatureChannels));
  ASSERT_EQ(h.units.size(), h.channels.size());
  EXPECT_EQ(kFeatureChannels, 17 + 3 + 2 + 8 + 3 + 12);
  EXPECT_EQ(h.channels[0], "AU01_r");
  EXPECT_EQ(h.channels[static_cast<size_t>(AuIndex(12))], "AU12_r");
  EXPECT_EQ(h.channels[kFirstPoseChannel], "pose_Rx");
  EXPECT_EQ(h.units[kFirstPoseChannel + 2], "rad");
  EXPECT_EQ(h.channels[kFaceXChannel], "face_x");
  EXPECT_EQ(h.channels[kFaceSizeChannel], "face_size");
  EXPECT_EQ(h.channels[kFirstMotionChannel], "mot_brow_r");
  EXPECT_EQ(h.channels[kFirstMotionChannel + 7], "mot_chin");
  EXPECT_EQ(h.channels[kFirstMotionEnergyChannel], "me_head");
  EXPECT_EQ(h.channels[kFirstMotionEnergyChannel + 2], "me_total");
  EXPECT_EQ(h.channels[SidedChannel(0, 0)], "AU01_r_L");
  EXPECT_EQ(h.channels[SidedChannel(3, 1)], "AU12_r_R");
  EXPECT_EQ(h.channels.back(), "AU15_r_R");
}

// A minimal mimicry table: the AUs, pose, the outer eye corners and nose bridge, one sided AU.
std::string MimicryTable(const std::string& rows) {
  std::string h = "frame,face_id,timestamp,success,pose_Rx,pose_Ry,pose_Rz,x_27,x_36,y_36,x_45,y_45";
  for (int au : kAuCodes) h += "," + AuName(au) + "_r";
  h += ",AU12_r_L,AU12_r_R,mot_mouth\n";
  return h + rows;
}
std::string MimicryRow(int frame, int face, double t, int success, double au12, double left, double right) {
  std::ostringstream r;
  r << frame << "," << face << "," << t << "," << success << ",0.1,-0.2,0.05,320,290,200,350,200";
  for (int au : kAuCodes) r << "," << (au == 12 ? au12 : 0.5);
  r << "," << left << "," << right << ",3.5\n";
  return r.str();
}

TEST(FeatureCsv, MimicryTablesKeepSidesRegionsAndGeometry) {
  const auto p = Write("m.csv", MimicryTable(MimicryRow(1, 0, 0.0, 1, 2.0, 3.0, 1.0) + MimicryRow(2, 0, 0.033, 0, 9, 9, 9) +
                                             MimicryRow(3, 0, 0.067, 1, 2.5, 2.0, 0.5) + MimicryRow(3, -1, 0.067, 0, 0, 0, 0)));
  auto t = ReadFeatureCsv(p);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "mimicry");
  EXPECT_EQ(t->rows, 4);
  ASSERT_EQ(t->faces.size(), 1u);  // the success = 0 row and the no-face row are left out
  const TimeSeries& s = t->faces.at(0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s.value(1, static_cast<size_t>(AuIndex(12))), 2.5);
  EXPECT_DOUBLE_EQ(s.value(0, SidedChannel(3, 0)), 3.0);
  EXPECT_DOUBLE_EQ(s.value(0, SidedChannel(3, 1)), 1.0);
  EXPECT_TRUE(std::isnan(s.value(0, SidedChannel(0, 0))));  // AU01 has no sided columns here
  EXPECT_DOUBLE_EQ(s.value(0, kFirstMotionChannel + 6), 3.5);  // mot_mouth
  EXPECT_DOUBLE_EQ(s.value(0, kFaceXChannel), 320);
  EXPECT_DOUBLE_EQ(s.value(0, kFaceSizeChannel), 60);  // |x_45 - x_36|
  EXPECT_DOUBLE_EQ(s.value(0, kFirstPoseChannel + 1), -0.2);
  EXPECT_NEAR(s.time(1).seconds(), 0.067, 1e-9);
}

TEST(FeatureCsv, TimeMustIncreaseWithinAFace) {
  const auto p = Write("back.csv", MimicryTable(MimicryRow(1, 0, 0.1, 1, 1, 1, 1) + MimicryRow(2, 0, 0.1, 1, 1, 1, 1)));
  auto t = ReadFeatureCsv(p);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), p + ": line 3: time does not increase for face 0");
}

TEST(FeatureCsv, PyFeatScalesIntensitiesAndDegrees) {
  std::string h = "frame,approx_time,FaceRectX,FaceRectWidth,Pitch,Yaw,Roll";
  for (int au : kAuCodes)
    if (au != 5 && au != 45) h += "," + AuName(au);  // some py-feat models have no AU05/AU45
  auto row = [](double t, double au12) {
    std::ostringstream r;
    r << "0," << t << ",100,80,10,-20,0";
    for (int au : kAuCodes)
      if (au != 5 && au != 45) r << "," << (au == 12 ? au12 : 0.1);
    return r.str() + "\n";
  };
  auto t = ReadFeatureCsv(Write("pf.csv", h + "\n" + row(0, 0.4) + row(0.5, 0.8)));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "py-feat");
  const TimeSeries& s = t->faces.at(0);
  EXPECT_DOUBLE_EQ(s.value(1, static_cast<size_t>(AuIndex(12))), 4.0);  // 0-1 -> 0-5
  EXPECT_TRUE(std::isnan(s.value(0, static_cast<size_t>(AuIndex(5)))));
  EXPECT_NEAR(s.value(0, kFirstPoseChannel), 10 * M_PI / 180, 1e-9);
  EXPECT_NEAR(s.value(0, kFirstPoseChannel + 1), -20 * M_PI / 180, 1e-9);
  EXPECT_DOUBLE_EQ(s.value(0, kFaceXChannel), 140);  // box centre
  EXPECT_DOUBLE_EQ(s.value(0, kFaceSizeChannel), 80);
  const auto bad = Write("pf_hot.csv", h + "\n" + row(0, 0.4) + row(0.5, 3.2));
  auto b = ReadFeatureCsv(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), bad + ": line 3: AU12 = 3.2: py-feat intensities are 0-1 (is this another tool's table?)");
}

TEST(FeatureCsv, BadTablesNameTheFileAndTheProblem) {
  EXPECT_EQ(ReadFeatureCsv("/nonexistent/x.csv").status().code(), StatusCode::kNotFound);
  const auto empty = Write("empty.csv", "");
  EXPECT_EQ(ReadFeatureCsv(empty).status().message(), empty + ": empty file");
  const auto other = Write("other.csv", "a,b\n1,2\n");
  EXPECT_EQ(ReadFeatureCsv(other).status().message(), other + ": not a feature table (expected mimicry, OpenFace 2.0 or py-feat columns)");
  const auto no_au = Write("noau.csv", "frame,timestamp,AU12_r\n1,0,1\n");
  const auto m = ReadFeatureCsv(no_au).status().message();
  EXPECT_EQ(m.rfind(no_au + ": missing columns: AU01_r, AU02_r", 0), 0u) << m;
  const auto header_only = Write("hdr.csv", MimicryTable(""));
  EXPECT_EQ(ReadFeatureCsv(header_only).status().message(), header_only + ": no data rows");
}

// Real OpenFace 2.0 output (../shared): its spaced header, its 842 frames, values as printed.
TEST(FeatureCsv, ReadsOpenFaceOnRealFootage) {
  const std::string p = std::string(MIMICRY_SHARED_DIR) + "/media/openface/2015-10-15-15-14.csv";
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "../shared/media absent: " << p;
  auto t = ReadFeatureCsv(p);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "openface");
  EXPECT_EQ(t->rows, 842);
  // An independent read of the first data row's AU12_r and timestamp.
  std::ifstream in(p);
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  auto field = [](const std::string& line, int k) {
    std::stringstream ss(line);
    std::string f;
    for (int i = 0; i <= k; ++i) std::getline(ss, f, ',');
    return std::stod(f);
  };
  int c12 = -1, k = 0;
  std::stringstream hs(header);
  for (std::string f; std::getline(hs, f, ','); ++k)
    if (f.find("AU12_r") != std::string::npos) c12 = k;
  ASSERT_GE(c12, 0);
  ASSERT_FALSE(t->faces.empty());
  const TimeSeries& s = t->faces.begin()->second;
  if (field(first, 4) == 1) {  // success
    EXPECT_DOUBLE_EQ(s.value(0, static_cast<size_t>(AuIndex(12))), field(first, c12));
    EXPECT_NEAR(s.time(0).seconds(), field(first, 2), 1e-6);
  }
  EXPECT_GT(s.size(), 800u);
  EXPECT_TRUE(std::isnan(s.value(0, kFirstMotionChannel)));  // OpenFace has no appearance change
}

}  // namespace
}  // namespace mimicry::schema
