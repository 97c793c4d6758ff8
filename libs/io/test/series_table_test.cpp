#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "mimicry/io/series_table.h"

namespace mimicry::io {
namespace {
namespace fs = std::filesystem;

std::string Write(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "mimicry_series_test";
  fs::create_directories(dir);
  const std::string p = (dir / name).string();
  std::ofstream(p) << text;
  return p;
}

TEST(SeriesTable, ReadsMeaFilesAsRmeaDoes) {
  const auto p = Write("dyad.txt", "\"pat\" \"th\"\n1550 6948\n1317 5657\nNA 12\n0 0\n");
  auto t = ReadSeriesTable(p, {.rate_hz = 25});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "mea");
  ASSERT_EQ(t->names, (std::vector<std::string>{"pat", "th"}));
  ASSERT_EQ(t->series.size(), 2u);
  EXPECT_EQ(t->rows, 4);
  EXPECT_EQ(t->series[0].size(), 4u);
  EXPECT_EQ(t->series[1].value(1, 0), 5657);
  EXPECT_TRUE(std::isnan(t->series[0].value(2, 0)));
  EXPECT_EQ(t->series[0].time(3).us, 120000) << "row 3 at 3 / 25 s";
  EXPECT_EQ(t->series[0].header().channels[0], "series");
  // No header: rMEA's names; columns chosen by number.
  const auto q = Write("plain.txt", "1 2 3\n4 5 6\n7 8 9\n");
  auto u = ReadSeriesTable(q, {.rate_hz = 10, .columns = {"3", "1"}});
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->names, (std::vector<std::string>{"s3", "s1"}));
  EXPECT_EQ(u->series[0].value(2, 0), 9);
}

TEST(SeriesTable, ReadsCsvWithTimestampsAndKeepsGaps) {
  const auto p = Write("ts.csv", "timestamp,a,b\n0.0,1,2\n0.04,,3\n0.08,2,4\n1.00,3,5\n1.04,4,6\n");
  auto t = ReadSeriesTable(p, {.columns = {"b", "a"}});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "csv");
  EXPECT_NEAR(t->rate_hz, 25, 1e-9);
  EXPECT_EQ(t->names, (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(std::isnan(t->series[1].value(1, 0)));
  EXPECT_EQ(t->series[0].time(3).us, 1000000) << "the file's times, gap kept";
  EXPECT_EQ(t->series[0].GapStarts(), (std::vector<size_t>{3}));
}

TEST(SeriesTable, BadInputIsAOneLineErrorNamingFileAndLine) {
  struct Case {
    std::string name, text, want;
    SeriesReadOptions o;
  };
  const std::vector<Case> cases = {
      {"empty.txt", "", "empty file", {.rate_hz = 25}},
      {"header_only.txt", "\"pat\" \"th\"\n", "no data rows", {.rate_hz = 25}},
      {"ragged.txt", "\"pat\" \"th\"\n1 2\n3\n", "ragged.txt:3: 1 cells where the header has 2", {.rate_hz = 25}},
      {"word.txt", "\"pat\" \"th\"\n1 2\n3 x\n", ":3: column th: 'x' is not a number", {.rate_hz = 25}},
      {"inf.csv", "timestamp,a\n0,1\n0.1,inf\n", ":3: column a: 'inf' is not a number", {}},
      {"norate.txt", "1 2\n3 4\n", "--series-rate", {}},
      {"back.csv", "timestamp,a\n0,1\n0.2,2\n0.1,3\n", ":4: timestamp 0.1 does not increase", {}},
      {"nocol.txt", "\"pat\" \"th\"\n1 2\n3 4\n", "no participant column 'therapist' (columns: pat, th)", {.rate_hz = 25, .columns = {"therapist"}}},
      {"neg.txt", "1 2\n3 4\n", "rate must be a positive number", {.rate_hz = -25}},
      {"nan.txt", "1 2\n3 4\n", "rate must be a positive number", {.rate_hz = std::nan("")}},
      {"onerow.txt", "\"a\" \"b\"\n1 2\n", "one data row", {.rate_hz = 25}},
  };
  for (const auto& c : cases) {
    const auto p = Write(c.name, c.text);
    auto t = ReadSeriesTable(p, c.o);
    ASSERT_FALSE(t.ok()) << c.name;
    const std::string& m = t.status().message();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find(c.want), std::string::npos)
        << c.name << ": " << m;
    EXPECT_NE(m.find(c.name), std::string::npos) << m;
  }
  EXPECT_EQ(ReadSeriesTable("/nonexistent/x.txt", {.rate_hz = 25}).status().code(), StatusCode::kNotFound);
}

TEST(SeriesTable, ReadsTheSharedRmeaDyads) {
  const fs::path f = fs::path(MIMICRY_SHARED_DIR) / "media" / "rmea" / "200_01.txt";
  if (!fs::exists(f)) GTEST_SKIP() << "../shared/media/rmea not present: " << f;
  auto t = ReadSeriesTable(f.string(), {.rate_hz = 25});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->names, (std::vector<std::string>{"pat", "th"}));
  EXPECT_EQ(t->rows, 15000);
  EXPECT_EQ(t->series[0].value(0, 0), 1550);
  EXPECT_EQ(t->series[1].value(1, 0), 5657);
  EXPECT_NEAR(t->series[0].time(14999).seconds(), 599.96, 1e-9);
}

}  // namespace
}  // namespace mimicry::io
