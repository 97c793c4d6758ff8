#include "mimicry/io/series_table.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "mimicry/core/csv.h"

namespace mimicry::io {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> SplitWhitespace(const std::string& line) {
  std::vector<std::string> c;
  std::istringstream ss(line);
  for (std::string x; ss >> x;) c.push_back(x);
  return c;
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

bool IsMissing(const std::string& c) { return c.empty() || c == "NA" || c == "NaN" || c == "nan"; }

bool Blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

}  // namespace

Result<SeriesTable> ReadSeriesTable(const std::string& path, const SeriesReadOptions& o) {
  if (!std::isfinite(o.rate_hz) || o.rate_hz < 0)
    return InvalidArgument(path + ": the series rate must be a positive number of Hz" +
                           (std::isfinite(o.rate_hz) ? " (got " + std::to_string(o.rate_hz) + ")" : std::string()));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path + ": no such file");
  std::ifstream in(path);
  if (!in) return InvalidInput(path + ": cannot open");
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!Blank(line)) break;
  }
  if (Blank(line)) return InvalidInput(path + ": empty file");
  SeriesTable t;
  t.path = path;
  const bool csv = line.find(',') != std::string::npos;
  t.format = csv ? "csv" : "mea";
  auto split = [&](const std::string& l) { return csv ? SplitCsvLine(l) : SplitWhitespace(l); };
  std::vector<std::string> first = split(line);
  for (auto& c : first) c = Unquote(c);
  bool header = csv;
  if (!csv)
    for (const auto& c : first) {
      double v;
      if (!ParseNumber(c, v) && !IsMissing(c)) header = true;
    }
  std::vector<std::string> names;
  if (header) {
    names = first;
  } else {
    for (size_t k = 0; k < first.size(); ++k) names.push_back("s" + std::to_string(k + 1));
  }
  const int time_col = csv ? FindColumn(names, "timestamp") : -1;
  if (time_col < 0 && o.rate_hz == 0)
    return InvalidInput(path + ": no timestamp column; give the rate of its rows (--series-rate HZ)");
  // The participant columns.
  std::vector<size_t> keep;
  if (o.columns.empty()) {
    for (size_t k = 0; k < names.size(); ++k)
      if (static_cast<int>(k) != time_col) keep.push_back(k);
  } else {
    for (const auto& want : o.columns) {
      int k = FindColumn(names, want);
      double num;
      if (k < 0 && ParseNumber(want, num) && num >= 1 && num == std::floor(num) && num <= static_cast<double>(names.size()))
        k = static_cast<int>(num) - 1;
      if (k < 0 || k == time_col) {
        std::string have;
        for (size_t i = 0; i < names.size(); ++i)
          if (static_cast<int>(i) != time_col) have += (have.empty() ? "" : ", ") + names[i];
        return InvalidInput(path + ": no participant column '" + want + "' (columns: " + have + ")");
      }
      keep.push_back(static_cast<size_t>(k));
    }
  }
  if (keep.empty()) return InvalidInput(path + ": no participant columns (only a timestamp)");
  std::vector<double> times;
  std::vector<std::vector<double>> cols(keep.size());
  auto parse_row = [&](const std::vector<std::string>& cells) -> Status {
    if (cells.size() != names.size())
      return InvalidInput(path + ":" + std::to_string(line_no) + ": " + std::to_string(cells.size()) + " cells where the " +
                          (header ? "header has " : "first row has ") + std::to_string(names.size()));
    if (time_col >= 0) {
      double v;
      if (!ParseNumber(cells[static_cast<size_t>(time_col)], v))
        return InvalidInput(path + ":" + std::to_string(line_no) + ": timestamp '" + cells[static_cast<size_t>(time_col)] +
                            "' is not a number");
      if (!times.empty() && !(v > times.back()))
        return InvalidInput(path + ":" + std::to_string(line_no) + ": timestamp " + cells[static_cast<size_t>(time_col)] +
                            " does not increase");
      times.push_back(v);
    }
    for (size_t k = 0; k < keep.size(); ++k) {
      const std::string c = Unquote(cells[keep[k]]);
      double v = kNaN;
      if (!IsMissing(c) && !ParseNumber(c, v))
        return InvalidInput(path + ":" + std::to_string(line_no) + ": column " + names[keep[k]] + ": '" + c + "' is not a number");
      cols[k].push_back(v);
    }
    ++t.rows;
    return Status::Ok();
  };
  if (!header) MIMICRY_RETURN_IF_ERROR(parse_row(first));
  while (std::getline(in, line)) {
    ++line_no;
    if (Blank(line)) continue;
    MIMICRY_RETURN_IF_ERROR(parse_row(split(line)));
  }
  if (t.rows == 0) return InvalidInput(path + ": a header and no data rows");
  if (t.rows < 2) return InvalidInput(path + ": one data row; a series needs at least two");
  t.rate_hz = o.rate_hz;
  if (time_col >= 0) {
    // The median step in whole microseconds (the clock's unit), so that 0.04-s rows are 25 Hz exactly.
    std::vector<int64_t> steps;
    for (size_t i = 1; i < times.size(); ++i)
      steps.push_back(Timestamp::FromSeconds(times[i]).us - Timestamp::FromSeconds(times[i - 1]).us);
    std::nth_element(steps.begin(), steps.begin() + static_cast<long>(steps.size() / 2), steps.end());
    const double rate = 1e6 / static_cast<double>(steps[steps.size() / 2]);
    if (o.rate_hz > 0 && std::abs(rate - o.rate_hz) > 0.01 * o.rate_hz)
      return InvalidInput(path + ": its timestamps are " + std::to_string(rate) + " Hz apart, not the " +
                          std::to_string(o.rate_hz) + " Hz given");
    if (o.rate_hz == 0) t.rate_hz = rate;
  }
  for (size_t k = 0; k < keep.size(); ++k) {
    SeriesHeader h;
    h.rate_hz = t.rate_hz;
    h.channels = {o.channel};
    h.units = {"input units"};
    auto s = TimeSeries::Create(h);
    if (!s.ok()) return s.status();
    for (size_t i = 0; i < cols[k].size(); ++i) {
      // Rows without a time column are i / rate seconds from the first (microseconds).
      const Timestamp ts = time_col >= 0 ? Timestamp::FromSeconds(times[i])
                                         : Timestamp::FromMicros(static_cast<int64_t>(std::llround(static_cast<double>(i) * 1e6 / t.rate_hz)));
      const double v = cols[k][i];
      if (auto st = s->Append(ts, std::span<const double>(&v, 1)); !st.ok())
        return InvalidInput(path + ": row " + std::to_string(i + 1) + ": " + st.message());
    }
    t.names.push_back(names[keep[k]]);
    t.series.push_back(std::move(s).value());
  }
  return t;
}

}  // namespace mimicry::io
