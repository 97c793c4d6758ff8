#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"
#include "mimicry/core/timestamp.h"

namespace mimicry {
namespace {

TEST(Timestamp, NtscFramesAreExactInMicros) {
  // Frame 1000 of a 30000/1001 stream is at 33.366666.. s: rounding to the microsecond
  // keeps it within 0.5 us, where float seconds accumulated per frame drift.
  const Timestamp t = Timestamp::FromSeconds(1000.0 * 1001.0 / 30000.0);
  EXPECT_EQ(t.us, 33366667);
  EXPECT_NEAR(t.seconds(), 33.366667, 1e-9);
  EXPECT_LT(Timestamp::FromMicros(1), Timestamp::FromMicros(2));
  EXPECT_EQ((Timestamp::FromMillis(1.5) + Timestamp::FromMicros(500)).us, 2000);
}

TEST(Result, CarriesValueOrStatus) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad(NotFound("x.mp4: no such file"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bad.status().message(), "x.mp4: no such file");
  EXPECT_STREQ(StatusCodeName(StatusCode::kModelMissing), "model_missing");
}

TEST(TimeSeries, HeaderIsValidated) {
  EXPECT_FALSE(TimeSeries::Create({30, {"a", "b"}, {"u"}}).ok());
  EXPECT_FALSE(TimeSeries::Create({30, {"a", "a"}, {"u", "u"}}).ok());
  auto ts = TimeSeries::Create({30, {"AU12_r", "pose_Rx"}, {"intensity", "rad"}});
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->ChannelIndex("pose_Rx"), 1);
  EXPECT_EQ(ts->ChannelIndex("nope"), -1);
}

TEST(TimeSeries, RejectsNonIncreasingTimeAndWrongWidth) {
  auto ts = TimeSeries::Create({30, {"a"}, {"u"}});
  ASSERT_TRUE(ts.ok());
  const double v[] = {1.0};
  ASSERT_TRUE(ts->Append(Timestamp::FromMicros(0), v).ok());
  EXPECT_FALSE(ts->Append(Timestamp::FromMicros(0), v).ok());
  const double two[] = {1.0, 2.0};
  EXPECT_FALSE(ts->Append(Timestamp::FromMicros(10), two).ok());
  EXPECT_EQ(ts->size(), 1u);
}

TEST(TimeSeries, GapsAreFoundNotJoined) {
  auto ts = TimeSeries::Create({30, {"a"}, {"u"}});
  ASSERT_TRUE(ts.ok());
  const double nan[] = {std::nan("")};
  // 0, 33, 67 ms, then a 200 ms hole, then 300 ms.
  for (int64_t us : {0, 33333, 66667, 266667, 300000})
    ASSERT_TRUE(ts->Append(Timestamp::FromMicros(us), nan).ok());
  const auto gaps = ts->GapStarts();
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0], 3u);
  EXPECT_TRUE(std::isnan(ts->value(0, 0)));
}

}  // namespace
}  // namespace mimicry

#include "mimicry/core/csv.h"

namespace mimicry {
namespace {

TEST(Csv, ReaderFollowsRfc4180) {
  // Quoted commas, doubled quotes, a line break inside quotes, CRLF, a BOM, blank lines,
  // OpenFace's ", " spacing and a trailing empty field.
  std::istringstream in("\xEF\xBB\xBFname, file ,n\r\n"
                        "\"Smith, J\",\"a \"\"quoted\"\" name.mp4\",1\r\n"
                        "\r\n"
                        "\"two\nlines\",  \" padded \" ,\n"
                        "plain,x,3\n");
  CsvReader r(in, "t.csv");
  std::vector<std::string> f;
  ASSERT_TRUE(r.Read(f));
  EXPECT_EQ(f, (std::vector<std::string>{"name", "file", "n"}));
  EXPECT_EQ(r.line(), 1);
  ASSERT_TRUE(r.Read(f));
  EXPECT_EQ(f, (std::vector<std::string>{"Smith, J", "a \"quoted\" name.mp4", "1"}));
  ASSERT_TRUE(r.Read(f));
  EXPECT_EQ(f, (std::vector<std::string>{"two\nlines", " padded ", ""}));
  EXPECT_EQ(r.line(), 4) << "the blank line is skipped and counted";
  ASSERT_TRUE(r.Read(f));
  EXPECT_EQ(f, (std::vector<std::string>{"plain", "x", "3"}));
  EXPECT_EQ(r.line(), 6);
  EXPECT_TRUE(r.spaced());
  EXPECT_FALSE(r.Read(f));
  EXPECT_TRUE(r.status().ok()) << "the end, not an error";
}

TEST(Csv, ReaderErrorsNameTheFileAndLine) {
  std::istringstream open_quote("a,b\n1,\"never closed\n2,3\n");
  CsvReader r(open_quote, "bad.csv");
  std::vector<std::string> f;
  ASSERT_TRUE(r.Read(f));
  EXPECT_FALSE(r.Read(f));
  EXPECT_EQ(r.status().message(), "bad.csv: line 2: a quoted field is not closed");
  EXPECT_FALSE(r.Read(f)) << "an error ends the reading";
  std::istringstream after("\"a\"b,c\n");
  CsvReader r2(after, "x.csv");
  EXPECT_FALSE(r2.Read(f));
  EXPECT_EQ(r2.status().message(), "x.csv: line 1: text after a closing quote");
}

TEST(Csv, FieldsRoundTripThroughTheWriter) {
  for (const std::string v : {"plain", "12.5", "", "a,b", "say \"hi\"", "two\nlines", " lead", "trail "}) {
    std::istringstream in(CsvField(v) + ",end\n");
    CsvReader r(in, "rt");
    std::vector<std::string> f;
    ASSERT_TRUE(r.Read(f)) << v;
    ASSERT_EQ(f.size(), 2u) << v;
    EXPECT_EQ(f[0], v);
  }
  EXPECT_EQ(CsvField("plain"), "plain") << "no quotes where none are needed";
  EXPECT_EQ(SplitCsvLine("\"a,b\",c"), (std::vector<std::string>{"a,b", "c"}));
  EXPECT_TRUE(SplitCsvLine("").empty());
}

TEST(Csv, SplitsTrimsAndKeepsEmptyCells) {
  EXPECT_EQ(SplitCsvLine(" a, b ,,c,\r"), (std::vector<std::string>{"a", "b", "", "c", ""}));
  EXPECT_EQ(SplitCsvLine("x"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(FindColumn({"a", "b"}, "b"), 1);
  EXPECT_EQ(FindColumn({"a", "b"}, "c"), -1);
  double v = 0;
  EXPECT_TRUE(ParseNumber("1.5e2", v));
  EXPECT_EQ(v, 150);
  EXPECT_FALSE(ParseNumber("", v));
  EXPECT_FALSE(ParseNumber("3x", v));
  EXPECT_FALSE(ParseNumber("nan", v));
  EXPECT_FALSE(ParseNumber("inf", v));
}

}  // namespace
}  // namespace mimicry
