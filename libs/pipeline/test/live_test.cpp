// Live analysis: feature rows pushed one at a time, analysed over the last window; the same
// numbers as the batch analysis of that window, a planted leader found, memory bounded,
// frames of real footage through FaceStream into it, bad rows refused.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "mimicry/schema/feature_table.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/pipeline/live.h"
#include "feature_dyad.h"
#include "test_util.h"

namespace mimicry::pipeline {
namespace {
namespace fs = std::filesystem;
using namespace mimicry::testing;  // NOLINT

// A synthetic dyad at the feature level (feature_dyad.h): B answers A after lag_s.
std::array<TimeSeries, 2> Dyad(const TempDir& d, double lag_s, uint64_t seed, double duration_s) {
  const std::string dir = FeatureDyad(d, "dyad", lag_s, seed, duration_s);
  std::array<TimeSeries, 2> out = {*TimeSeries::Create(schema::FeatureHeader()), *TimeSeries::Create(schema::FeatureHeader())};
  for (int k = 0; k < 2; ++k) {
    auto t = schema::ReadFeatureCsv(dir + (k == 0 ? "/A.csv" : "/B.csv"));
    EXPECT_TRUE(t.ok() && !t->faces.empty());
    if (t.ok() && !t->faces.empty()) out[static_cast<size_t>(k)] = t->faces.begin()->second;
  }
  return out;
}

// Both participants' rows in time order, as a live call delivers them.
void PushAll(LiveAnalysis& live, const std::array<TimeSeries, 2>& s, double until_s = 1e30) {
  size_t i[2] = {0, 0};
  while (true) {
    int k = -1;
    for (int c = 0; c < 2; ++c)
      if (i[c] < s[static_cast<size_t>(c)].size() &&
          (k < 0 || s[static_cast<size_t>(c)].time(i[c]) < s[static_cast<size_t>(k)].time(i[k])))
        k = c;
    if (k < 0 || s[static_cast<size_t>(k)].time(i[k]).seconds() > until_s) break;
    const TimeSeries& t = s[static_cast<size_t>(k)];
    std::vector<double> v(t.num_channels());
    for (size_t c = 0; c < v.size(); ++c) v[c] = t.value(i[k], c);
    ASSERT_TRUE(live.Push(k, t.time(i[k]), v).ok());
    ++i[k];
  }
}

TEST(Live, LastWindowIsTheBatchAnalysisOfThatWindowAndFindsTheLeader) {
  TempDir d;
  const auto s = Dyad(d, 0.6, 3, 150);
  LiveOptions o;
  o.window_s = 90;
  o.analyze.surrogates = 199;
  auto live = LiveAnalysis::Create(o);
  ASSERT_TRUE(live.ok()) << live.status().message();
  PushAll(**live, s);
  EXPECT_LE((*live)->rows(0), static_cast<size_t>(90 * 30 + 2)) << "only the window is held";
  auto r = (*live)->Snapshot();
  ASSERT_TRUE(r.ok()) << r.status().message();
  // The batch analysis of the same 90 s.
  const double end = std::max(s[0].time(s[0].size() - 1).seconds(), s[1].time(s[1].size() - 1).seconds());
  std::array<TimeSeries, 2> cut = {*TimeSeries::Create(schema::FeatureHeader()), *TimeSeries::Create(schema::FeatureHeader())};
  for (size_t k = 0; k < 2; ++k)
    for (size_t i = 0; i < s[k].size(); ++i)
      if (s[k].time(i).seconds() >= end - 90 - 1e-9) {
        std::vector<double> v(s[k].num_channels());
        for (size_t c = 0; c < v.size(); ++c) v[c] = s[k].value(i, c);
        ASSERT_TRUE(cut[k].Append(s[k].time(i), v).ok());
      }
  auto b = AnalyzeSeriesPair(cut[0], cut[1], o.analyze);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(r->coupling.pooled.observed.peak, b->coupling.pooled.observed.peak);
  EXPECT_EQ(r->coupling.pooled.peak_p, b->coupling.pooled.peak_p);
  EXPECT_EQ(r->leader.leader, b->leader.leader);
  EXPECT_NEAR(r->duration_s, 90, 0.5);
  std::printf("[ figures ] live, last 90 s of a 150-s dyad (B answers A 0.6 s later): leader %d, lag %.3f s, synchrony p %.4f, %zu answers; %zu rows held\n",
              r->leader.leader, r->leader.lag_s, r->coupling.pooled.peak_p, r->events.ab.size(), (*live)->rows(0));
  // The planted dyad: A leads, B follows 0.6 s later, more than chance.
  EXPECT_EQ(r->leader.leader, 0);
  EXPECT_NEAR(r->leader.lag_s, 0.6, 0.25);
  EXPECT_LT(r->coupling.pooled.peak_p, 0.05);
  EXPECT_GT(r->events.ab.size(), 0u) << "B's answers to A are counted";
}

TEST(Live, BadRowsAndTooLittleDataAreClearErrors) {
  LiveOptions o;
  o.window_s = 5;
  EXPECT_FALSE(LiveAnalysis::Create(o).ok());
  o.window_s = 30;
  auto live = LiveAnalysis::Create(o);
  ASSERT_TRUE(live.ok());
  std::vector<double> v(schema::kFeatureChannels, 0.5);
  EXPECT_EQ((*live)->Push(2, Timestamp{0}, v).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*live)->Push(0, Timestamp{0}, std::vector<double>(3, 0.0)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*live)->Push(0, Timestamp{1000000}, v).ok());
  const Status back = (*live)->Push(0, Timestamp{500000}, v);
  EXPECT_EQ(back.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(back.message(), "live: participant 0: time 0.500000 s does not come after 1.000000 s");
  auto none = (*live)->Snapshot();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "live: no rows yet from both participants");
  ASSERT_TRUE((*live)->Push(1, Timestamp{2000000}, v).ok());
  auto little = (*live)->Snapshot();
  ASSERT_FALSE(little.ok());
  EXPECT_NE(little.status().message().find("10 s are needed"), std::string::npos) << little.status().message();
}

// Real footage frame by frame: two recordings (one person each) through their own
// FaceStream into one LiveAnalysis, as two webcams of a call would be.
TEST(Live, RealFramesThroughFaceStreamsIntoTheAnalysis) {
  if (!fs::exists(kReal) || !fs::exists(kMulti)) GTEST_SKIP() << "../shared absent: real footage tests skipped";
  auto models = LoadFaceModels("", {});
  ASSERT_TRUE(models.ok()) << models.status().message();
  LiveOptions o;
  o.window_s = 20;
  o.analyze.surrogates = 0;
  auto live = LiveAnalysis::Create(o);
  ASSERT_TRUE(live.ok());
  const std::string clips[2] = {kReal, kMulti};
  cv::VideoCapture cap[2] = {cv::VideoCapture(clips[0]), cv::VideoCapture(clips[1])};
  std::unique_ptr<face::FaceStream> stream[2];
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(cap[k].isOpened());
    face::FaceStreamOptions so;
    so.width = static_cast<int>(cap[k].get(cv::CAP_PROP_FRAME_WIDTH));
    so.height = static_cast<int>(cap[k].get(cv::CAP_PROP_FRAME_HEIGHT));
    so.tracker.max_faces = 1;  // the person in front
    auto s = face::FaceStream::Create(*models, so);
    ASSERT_TRUE(s.ok()) << s.status().message();
    stream[k] = std::move(s).value();
  }
  int pushed[2] = {0, 0};
  cv::Mat bgr, gray;
  for (int frame = 0; frame < 660; ++frame)  // 22 s of both
    for (int k = 0; k < 2; ++k) {
      if (!cap[k].read(bgr)) continue;
      const Timestamp t{static_cast<int64_t>(std::llround(cap[k].get(cv::CAP_PROP_POS_MSEC) * 1000))};
      cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
      auto faces = stream[k]->Process(bgr, gray, t);
      ASSERT_TRUE(faces.ok());
      for (const auto& f : faces->faces)
        if (f.success) {
          ASSERT_TRUE((*live)->Push(k, t, FeatureValues(f)).ok());
          ++pushed[k];
        }
    }
  EXPECT_GT(pushed[0], 600);
  EXPECT_GT(pushed[1], 500);
  auto r = (*live)->Snapshot();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NEAR(r->duration_s, 20, 1.5);
  EXPECT_TRUE(std::isfinite(r->coupling.pooled.observed.peak)) << "a coupling curve over the last 20 s";
}

}  // namespace
}  // namespace mimicry::pipeline
