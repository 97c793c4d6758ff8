#include "mimicry/report/report.h"

#include "mimicry/core/csv.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <cctype>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "report_assets.inc"  // kReportHtml, kReportJs, kReportCss (generated from src/page/)

namespace mimicry::report {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- summary.json validation: every field the page reads, with its JSON path. -------------

enum class Kind { kString, kNumber, kNumOrNull, kStrOrNull, kObject, kArray, kBool };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kString: return "a string";
    case Kind::kNumber: return "a number";
    case Kind::kNumOrNull: return "a number or null";
    case Kind::kStrOrNull: return "a string or null";
    case Kind::kObject: return "an object";
    case Kind::kArray: return "an array";
    case Kind::kBool: return "true or false";
  }
  return "?";
}

bool Is(const json& v, Kind k) {
  switch (k) {
    case Kind::kString: return v.is_string();
    case Kind::kNumber: return v.is_number();
    case Kind::kNumOrNull: return v.is_number() || v.is_null();
    case Kind::kStrOrNull: return v.is_string() || v.is_null();
    case Kind::kObject: return v.is_object();
    case Kind::kArray: return v.is_array();
    case Kind::kBool: return v.is_boolean();
  }
  return false;
}

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}
  // Checks `obj[dotted.path]` has kind k; records the first problem.
  const json* Need(const json& obj, const std::string& base, const std::string& dotted, Kind k) {
    if (!error_.empty()) return nullptr;
    const json* cur = &obj;
    std::string path = base;
    std::stringstream ss(dotted);
    for (std::string key; std::getline(ss, key, '.');) {
      path += (path.empty() ? "" : ".") + key;
      if (!cur->is_object() || !cur->contains(key)) {
        error_ = file_ + ": " + path + ": missing";
        return nullptr;
      }
      cur = &(*cur)[key];
    }
    if (!Is(*cur, k)) {
      error_ = file_ + ": " + path + ": must be " + KindName(k) + ", is " + std::string(cur->type_name());
      return nullptr;
    }
    return cur;
  }
  const std::string& error() const { return error_; }

 private:
  std::string file_, error_;
};

Status ValidateSummary(const json& j, const std::string& file) {
  Checker c(file);
  c.Need(j, "", "version", Kind::kString);
  c.Need(j, "", "tool", Kind::kString);
  c.Need(j, "", "clock.duration_s", Kind::kNumber);
  c.Need(j, "", "clock.rate_hz", Kind::kNumber);
  c.Need(j, "", "parameters", Kind::kObject);
  for (const char* k : {"surrogates", "correlation_surrogate", "event_surrogate"})
    c.Need(j, "", std::string("parameters.") + k, std::string(k) == "surrogates" ? Kind::kNumber : Kind::kString);
  if (const json* ps = c.Need(j, "", "participants", Kind::kArray)) {
    if (ps->size() < 2 && c.error().empty()) return InvalidInput(file + ": participants: needs at least two");
    for (size_t i = 0; i < ps->size(); ++i) {
      const std::string b = "participants[" + std::to_string(i) + "]";
      const json& p = (*ps)[i];
      c.Need(p, b, "id", Kind::kString);
      c.Need(p, b, "source", Kind::kString);
      c.Need(p, b, "frames", Kind::kNumber);
      c.Need(p, b, "valid_fraction", Kind::kNumber);
      c.Need(p, b, "events", Kind::kNumber);
      if (c.error().empty() && p["id"].get<std::string>().empty()) return InvalidInput(file + ": " + b + ".id: empty");
    }
  }
  if (const json* prs = c.Need(j, "", "pairs", Kind::kArray)) {
    if (prs->empty() && c.error().empty()) return InvalidInput(file + ": pairs: empty");
    for (size_t i = 0; i < prs->size(); ++i) {
      const std::string b = "pairs[" + std::to_string(i) + "]";
      const json& p = (*prs)[i];
      c.Need(p, b, "a", Kind::kString);
      c.Need(p, b, "b", Kind::kString);
      c.Need(p, b, "synchrony.r", Kind::kNumOrNull);
      c.Need(p, b, "synchrony.tested", Kind::kBool);
      c.Need(p, b, "synchrony.not_tested", Kind::kStrOrNull);
      c.Need(p, b, "synchrony.verdict", Kind::kString);
      c.Need(p, b, "synchrony.method", Kind::kString);
      c.Need(p, b, "synchrony.p", Kind::kNumOrNull);
      c.Need(p, b, "synchrony.z", Kind::kNumOrNull);
      for (const char* k : {"mean", "lo95", "hi95"}) c.Need(p, b, std::string("synchrony.chance.") + k, Kind::kNumOrNull);
      c.Need(p, b, "leader.id", Kind::kStrOrNull);
      c.Need(p, b, "leader.follower", Kind::kStrOrNull);
      c.Need(p, b, "leader.lag_s", Kind::kNumOrNull);
      c.Need(p, b, "leader.p", Kind::kNumOrNull);
      c.Need(p, b, "leader.tested", Kind::kBool);
      c.Need(p, b, "leader.not_tested", Kind::kStrOrNull);
      c.Need(p, b, "leader.lag_source", Kind::kString);
      for (const char* mode : {"strict", "broad"})
        for (const char* dir : {"a_to_b", "b_to_a"}) {
          const std::string m = std::string("mimicry.") + mode + "." + dir + ".";
          c.Need(p, b, m + "events", Kind::kNumber);
          c.Need(p, b, m + "count", Kind::kNumber);
          c.Need(p, b, m + "expected", Kind::kNumOrNull);
          c.Need(p, b, m + "p", Kind::kNumOrNull);
          c.Need(p, b, m + "tested", Kind::kBool);
          c.Need(p, b, m + "not_tested", Kind::kStrOrNull);
          c.Need(p, b, m + "verdict", Kind::kString);
          c.Need(p, b, m + "chance.mean", Kind::kNumOrNull);
          c.Need(p, b, m + "median_latency_s", Kind::kNumOrNull);
        }
      c.Need(p, b, "contagion.tested", Kind::kBool);
      c.Need(p, b, "contagion.not_tested", Kind::kStrOrNull);
      c.Need(p, b, "contagion.verdict", Kind::kString);
      c.Need(p, b, "contagion.r", Kind::kNumOrNull);
      c.Need(p, b, "contagion.p", Kind::kNumOrNull);
      c.Need(p, b, "contagion.leader", Kind::kStrOrNull);
      c.Need(p, b, "contagion.lag_s", Kind::kNumOrNull);
      c.Need(p, b, "contagion.chance.mean", Kind::kNumOrNull);
      c.Need(p, b, "rapport.index", Kind::kNumOrNull);
      if (const json* ci = c.Need(p, b, "rapport.ci95", Kind::kArray); ci != nullptr && ci->size() != 2)
        return InvalidInput(file + ": " + b + ".rapport.ci95: must hold two values");
    }
  }
  if (j.contains("group")) c.Need(j, "", "group.synchrony_index", Kind::kNumOrNull);
  if (!c.error().empty()) return InvalidInput(c.error());
  return Status::Ok();
}

// ---- Tables. ------------------------------------------------------------------------------

struct Table {
  std::string name;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int Col(const std::string& c) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == c) return static_cast<int>(i);
    return -1;
  }
};

// The analysis folder: its files as handed over in memory by the run that wrote them
// (ReportOptions::files), else as they are on disk.
struct Folder {
  fs::path dir;
  const std::map<std::string, std::string>* files = nullptr;
  struct File {
    const Folder* folder;
    std::string name;  // relative to the folder, '/'-separated
    fs::path path() const { return folder->dir / name; }
  };
  File operator/(const std::string& name) const { return {this, name}; }
  // The file's content; false when it is neither in memory nor readable on disk.
  bool Read(const File& f, std::string& text) const {
    if (files != nullptr) {
      const auto it = files->find(f.name);
      if (it != files->end()) {
        text = it->second;
        return true;
      }
    }
    std::ifstream in(f.path(), std::ios::binary);
    if (!in) return false;
    text.assign(std::istreambuf_iterator<char>(in), {});
    return true;
  }
};

// Reads a CSV the analysis wrote; `need` columns must be present.
Result<Table> ReadTable(const Folder::File& file, const std::vector<std::string>& need) {
  const fs::path path = file.path();
  std::string text;
  if (!file.folder->Read(file, text)) return InvalidInput(path.string() + ": cannot read (not an analysis folder, or a table is missing)");
  std::istringstream in(std::move(text));
  Table t;
  t.name = path.string();
  CsvReader csv(in, path.string());
  if (!csv.Read(t.header)) return csv.status().ok() ? InvalidInput(path.string() + ": empty file") : csv.status();
  for (const auto& n : need)
    if (t.Col(n) < 0) return InvalidInput(path.string() + ": missing column " + n);
  std::vector<std::string> cells;
  while (csv.Read(cells)) {
    if (cells.size() != t.header.size())
      return InvalidInput(path.string() + ": line " + std::to_string(csv.line()) + ": " + std::to_string(cells.size()) +
                          " fields, header has " + std::to_string(t.header.size()));
    t.rows.push_back(std::move(cells));
  }
  if (!csv.status().ok()) return csv.status();
  return t;
}

// A number cell: empty = NaN; anything else must parse.
bool Num(const std::string& s, double& v) {
  if (s.empty()) {
    v = kNaN;
    return true;
  }
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

Status BadCell(const Table& t, size_t row, const std::string& col) {
  return InvalidInput(t.name + ": line " + std::to_string(row + 2) + ": " + col + ": not a number");
}

json Val(double v, int digits) {
  if (!std::isfinite(v)) return nullptr;
  const double s = std::pow(10.0, digits);
  return std::round(v * s) / s;
}

bool Expressive(const std::string& c) { return c != "AU45" && c != "valence" && c != "head_nod" && c != "head_shake"; }

// ---- Sections' data. ----------------------------------------------------------------------

// Per participant: the chosen channels, averaged into <= max points (NaN-aware; a bin with
// no valid sample stays a gap).
Result<json> Timelines(const Folder& dir, const json& participants, size_t max_points) {
  static const std::vector<std::string> kShown = {"smile", "valence", "AU12", "AU06", "AU01", "AU02", "AU04",
                                                  "AU25", "AU26", "AU45", "head_nod", "head_shake", "series"};
  json out = json::object();
  json times;
  for (const auto& p : participants) {
    const std::string id = p["id"];
    auto t = ReadTable(dir / ("features/" + id + ".csv"), {"timestamp"});
    if (!t.ok()) return t.status();
    const size_t n = t->rows.size();
    if (n == 0) return InvalidInput(t->name + ": no rows");
    const size_t bin = std::max<size_t>(1, (n + max_points - 1) / std::max<size_t>(1, max_points));
    const int ct = t->Col("timestamp");
    json series = json::object();
    json tt = json::array();
    for (const auto& name : kShown) {
      const int c = t->Col(name);
      if (c < 0) continue;
      json arr = json::array();
      for (size_t a = 0; a < n; a += bin) {
        double s = 0;
        int k = 0;
        for (size_t i = a; i < std::min(n, a + bin); ++i) {
          double v;
          if (!Num(t->rows[i][static_cast<size_t>(c)], v)) return BadCell(*t, i, name);
          if (std::isfinite(v)) s += v, ++k;
        }
        arr.push_back(k > 0 ? Val(s / k, 3) : json(nullptr));
      }
      series[name] = arr;
    }
    for (size_t a = 0; a < n; a += bin) {
      double v0, v1;
      if (!Num(t->rows[a][static_cast<size_t>(ct)], v0)) return BadCell(*t, a, "timestamp");
      if (!Num(t->rows[std::min(n, a + bin) - 1][static_cast<size_t>(ct)], v1)) return BadCell(*t, a, "timestamp");
      tt.push_back(Val((v0 + v1) / 2, 3));
    }
    if (series.empty()) return InvalidInput(t->name + ": none of the channels shown (smile, valence, AU12, ..., or series)");
    out[id] = {{"t", tt}, {"series", series}};
  }
  return out;
}

// Per pair: the time x lag map (r averaged over expressive channels) averaged into <= max
// time columns (as Fisher z), and its peak-picked path.
Result<json> LagMaps(const Folder& dir, size_t max_cols) {
  auto t = ReadTable(dir / "lagmap.csv", {"a", "b", "t_start_s", "lag_s", "r"});
  if (!t.ok()) return t.status();
  const int ca = t->Col("a"), cb = t->Col("b"), ct = t->Col("t_start_s"), cl = t->Col("lag_s"), cr = t->Col("r");
  struct Map {
    std::vector<double> times, lags;
    std::map<std::pair<long, long>, double> r;  // (time ms, lag ms) -> r
  };
  std::map<std::string, Map> maps;
  std::vector<std::string> order;
  for (size_t i = 0; i < t->rows.size(); ++i) {
    const auto& row = t->rows[i];
    double tv, lv, rv;
    if (!Num(row[static_cast<size_t>(ct)], tv) || !std::isfinite(tv)) return BadCell(*t, i, "t_start_s");
    if (!Num(row[static_cast<size_t>(cl)], lv) || !std::isfinite(lv)) return BadCell(*t, i, "lag_s");
    if (!Num(row[static_cast<size_t>(cr)], rv)) return BadCell(*t, i, "r");
    const std::string key = row[static_cast<size_t>(ca)] + "\t" + row[static_cast<size_t>(cb)];
    if (!maps.count(key)) order.push_back(key);
    Map& m = maps[key];
    const long tk = std::lround(tv * 1000), lk = std::lround(lv * 1000);
    if (m.times.empty() || std::lround(m.times.back() * 1000) != tk) m.times.push_back(tv);
    if (m.times.size() == 1) m.lags.push_back(lv);
    m.r[{tk, lk}] = rv;
  }
  json out = json::object();
  for (const auto& key : order) {
    const Map& m = maps[key];
    const size_t nt = m.times.size(), nl = m.lags.size();
    const size_t bin = std::max<size_t>(1, (nt + max_cols - 1) / std::max<size_t>(1, max_cols));
    json cells = json::array(), path = json::array(), tcol = json::array(), lcol = json::array();
    for (double l : m.lags) lcol.push_back(Val(l, 2));
    size_t col = 0;
    for (size_t a = 0; a < nt; a += bin, ++col) {
      tcol.push_back(Val(m.times[a], 1));
      double best = -2;
      int best_l = -1;
      for (size_t li = 0; li < nl; ++li) {
        double zs = 0;
        int k = 0;
        for (size_t ti = a; ti < std::min(nt, a + bin); ++ti) {
          auto it = m.r.find({std::lround(m.times[ti] * 1000), std::lround(m.lags[li] * 1000)});
          if (it != m.r.end() && std::isfinite(it->second)) zs += std::atanh(std::clamp(it->second, -0.9999, 0.9999)), ++k;
        }
        if (k == 0) continue;
        const double r = std::tanh(zs / k);
        cells.push_back({col, li, Val(r, 3)});
        if (r > best) best = r, best_l = static_cast<int>(li);
      }
      path.push_back(best_l >= 0 ? json{col, best_l} : json{col, nullptr});
    }
    const size_t tab = key.find('\t');
    out[key.substr(0, tab) + "|" + key.substr(tab + 1)] = {{"times", tcol}, {"lags", lcol}, {"cells", cells}, {"path", path}};
  }
  return out;
}

// Per pair: the distribution of the per-window peak lags (mimicry scale, expressive channels).
Result<json> LagDistributions(const Folder& dir, double max_lag_s) {
  auto t = ReadTable(dir / "windows.csv", {"a", "b", "level", "channel", "peak_lag_s"});
  if (!t.ok()) return t.status();
  const int ca = t->Col("a"), cb = t->Col("b"), clv = t->Col("level"), cc = t->Col("channel"), cl = t->Col("peak_lag_s");
  const double step = 0.1;
  const int nb = static_cast<int>(std::lround(2 * max_lag_s / step)) + 1;
  std::map<std::string, std::vector<int>> hist;
  for (size_t i = 0; i < t->rows.size(); ++i) {
    const auto& row = t->rows[i];
    if (row[static_cast<size_t>(clv)] != "mimicry" || !Expressive(row[static_cast<size_t>(cc)])) continue;
    double l;
    if (!Num(row[static_cast<size_t>(cl)], l)) return BadCell(*t, i, "peak_lag_s");
    auto& h = hist[row[static_cast<size_t>(ca)] + "|" + row[static_cast<size_t>(cb)]];
    if (h.empty()) h.assign(static_cast<size_t>(nb), 0);
    if (!std::isfinite(l)) continue;
    const int k = std::clamp(static_cast<int>(std::lround((l + max_lag_s) / step)), 0, nb - 1);
    ++h[static_cast<size_t>(k)];
  }
  json out = json::object();
  for (const auto& [key, h] : hist) {
    json bins = json::array();
    for (int k = 0; k < nb; ++k) bins.push_back(Val(-max_lag_s + k * step, 2));
    out[key] = {{"lags", bins}, {"counts", h}};
  }
  return out;
}

Result<json> Events(const Folder& dir) {
  auto t = ReadTable(dir / "events.csv", {"participant", "event", "onset_s", "apex_s", "offset_s", "intensity", "action", "affect",
                                          "actions", "answer_to", "answer_event", "mode", "latency_s"});
  if (!t.ok()) return t.status();
  json out = json::array();
  for (size_t i = 0; i < t->rows.size(); ++i) {
    const auto& row = t->rows[i];
    auto cell = [&](const char* c) { return row[static_cast<size_t>(t->Col(c))]; };
    json e = {{"p", cell("participant")}, {"action", cell("action")}, {"affect", cell("affect")}, {"actions", cell("actions")}};
    for (const char* c : {"event", "onset_s", "apex_s", "offset_s", "intensity", "answer_event", "latency_s"}) {
      double v;
      if (!Num(cell(c), v)) return BadCell(*t, i, c);
      e[c] = Val(v, 3);
    }
    if (!cell("answer_to").empty()) {
      e["answer_to"] = cell("answer_to");
      e["mode"] = cell("mode");
    }
    out.push_back(e);
  }
  return out;
}

Result<json> RapportCurves(const Folder& dir) {
  auto t = ReadTable(dir / "rapport.csv", {"a", "b", "t_start_s", "rapport", "local_mean", "local_lo95", "local_hi95"});
  if (!t.ok()) return t.status();
  json out = json::object();
  for (size_t i = 0; i < t->rows.size(); ++i) {
    const auto& row = t->rows[i];
    json& p = out[row[static_cast<size_t>(t->Col("a"))] + "|" + row[static_cast<size_t>(t->Col("b"))]];
    for (const char* c : {"t_start_s", "rapport", "local_mean", "local_lo95", "local_hi95"}) {
      double v;
      if (!Num(row[static_cast<size_t>(t->Col(c))], v)) return BadCell(*t, i, c);
      p[c].push_back(Val(v, 2));
    }
  }
  return out;
}

std::string Base64(const std::vector<unsigned char>& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = in[i] << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (in[i] << 16) | (in[i + 1] << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

// Script text placed inside <script>: "</script" or "<!--" would end or confuse the
// element; both occur only inside string literals, where "<\/" and "<\!" mean the same.
std::string ScriptSafe(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 64);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 7 < s.size() && s[i + 1] == '/' &&
        std::equal(s.begin() + static_cast<long>(i) + 2, s.begin() + static_cast<long>(i) + 8, "script",
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      out += "<\\/";
      ++i;
    } else if (s.substr(i, 4) == "<!--") {
      out += "<\\!";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// JSON placed inside <script type="application/json">: every "<" (only ever inside a JSON
// string) becomes \u003c.
std::string JsonSafe(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 64);
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

Status ValidateAudience(const json& j, const std::string& file) {
  Checker c(file);
  c.Need(j, "", "version", Kind::kString);
  c.Need(j, "", "stimulus.file", Kind::kString);
  c.Need(j, "", "stimulus.duration_s", Kind::kNumber);
  c.Need(j, "", "viewers.analysed", Kind::kNumber);
  c.Need(j, "", "viewers.skipped", Kind::kArray);
  c.Need(j, "", "viewers.groups", Kind::kArray);
  for (const char* k : {"fraction_answered", "expected_by_chance", "mirroring_fraction", "p", "median_latency_s"})
    c.Need(j, "", std::string("mirroring.") + k, Kind::kNumOrNull);
  c.Need(j, "", "mirroring.events", Kind::kArray);
  c.Need(j, "", "mirroring.most_mirrored", Kind::kArray);
  c.Need(j, "", "peak_end.score", Kind::kNumOrNull);
  c.Need(j, "", "peaks", Kind::kArray);
  c.Need(j, "", "isc.mean_r", Kind::kNumOrNull);
  c.Need(j, "", "isc.p", Kind::kNumOrNull);
  c.Need(j, "", "outcomes", Kind::kObject);
  c.Need(j, "", "parameters", Kind::kObject);
  if (j.contains("ab")) {
    c.Need(j, "", "ab.a", Kind::kString);
    c.Need(j, "", "ab.b", Kind::kString);
    c.Need(j, "", "ab.metrics", Kind::kObject);
  }
  if (!c.error().empty()) return InvalidInput(c.error());
  return Status::Ok();
}

// A table as columns of numbers (empty cells -> null); text columns as strings.
Result<json> Columns(const Folder::File& path, const std::vector<std::string>& need, const std::vector<std::string>& text_cols = {}) {
  auto t = ReadTable(path, need);
  if (!t.ok()) return t.status();
  json out = json::object();
  for (size_t c = 0; c < t->header.size(); ++c) {
    const std::string& name = t->header[c];
    const bool text = std::find(text_cols.begin(), text_cols.end(), name) != text_cols.end();
    json col = json::array();
    for (size_t r = 0; r < t->rows.size(); ++r) {
      if (text) {
        col.push_back(t->rows[r][c]);
        continue;
      }
      double v;
      if (!Num(t->rows[r][c], v)) return BadCell(*t, r, name);
      col.push_back(Val(v, 4));
    }
    out[name] = col;
  }
  return out;
}

}  // namespace

Result<ReportResult> WriteReport(const ReportOptions& o) {
  if (o.analysis_dir.empty()) return InvalidArgument("report: no analysis folder given");
  if (o.chart_library_path.empty()) return InvalidArgument("report: no chart library given");
  const Folder dir{o.analysis_dir, o.files.empty() ? nullptr : &o.files};
  // summary.json (analyze), else audience.json (audience).
  std::string main_text;
  bool audience = false;
  if (!dir.Read(dir / "summary.json", main_text)) {
    if (!dir.Read(dir / "audience.json", main_text))
      return NotFound((dir / "summary.json").path().string() + ": no such file (run mimicry analyze or mimicry audience first)");
    audience = true;
  }
  const fs::path main_path = (dir / (audience ? "audience.json" : "summary.json")).path();
  std::error_code ec;
  json summary;
  {
    summary = json::parse(main_text, nullptr, /*allow_exceptions=*/false);
    if (summary.is_discarded()) return InvalidInput(main_path.string() + ": not valid JSON");
    if (!summary.is_object()) return InvalidInput(main_path.string() + ": not a JSON object");
  }
  MIMICRY_RETURN_IF_ERROR(audience ? ValidateAudience(summary, main_path.string()) : ValidateSummary(summary, main_path.string()));
  std::string lib;
  {
    std::ifstream in(o.chart_library_path, std::ios::binary);
    if (!in) return NotFound(o.chart_library_path + ": chart library not found (run scripts/setup.sh)");
    lib.assign(std::istreambuf_iterator<char>(in), {});
    if (lib.find("echarts") == std::string::npos) return InvalidInput(o.chart_library_path + ": not Apache ECharts");
  }
  json data;
  if (audience) {
    data["audience"] = summary;
    auto ps = Columns(dir / "per_second.csv", {"t_s", "viewers", "attention_pct", "retention_pct", "mirroring_pct", "pct_smile",
                                                "mean_happiness", "lo95_happiness", "hi95_happiness"});
    if (!ps.ok()) return ps.status();
    data["per_second"] = *ps;
    auto pv = Columns(dir / "per_viewer.csv", {"viewer_id", "group", "fraction_answered"}, {"viewer_id", "group", "file"});
    if (!pv.ok()) return pv.status();
    data["per_viewer"] = *pv;
  } else {
    double max_lag = 2;
    if (summary["parameters"].contains("mimicry_window") && summary["parameters"]["mimicry_window"].contains("max_lag_s") &&
        summary["parameters"]["mimicry_window"]["max_lag_s"].is_number())
      max_lag = summary["parameters"]["mimicry_window"]["max_lag_s"].get<double>();

    data["summary"] = summary;
    auto tl = Timelines(dir, summary["participants"], o.max_timeline_points);
    if (!tl.ok()) return tl.status();
    data["timelines"] = *tl;
    auto lm = LagMaps(dir, o.max_lagmap_columns);
    if (!lm.ok()) return lm.status();
    data["lagmaps"] = *lm;
    auto ld = LagDistributions(dir, max_lag);
    if (!ld.ok()) return ld.status();
    data["lag_distributions"] = *ld;
    auto ev = Events(dir);
    if (!ev.ok()) return ev.status();
    data["events"] = *ev;
    auto rp = RapportCurves(dir);
    if (!rp.ok()) return rp.status();
    data["rapport"] = *rp;
  }
  json thumbs = json::object();
  for (const auto& [id, jpeg] : o.thumbnails_jpeg) thumbs[id] = "data:image/jpeg;base64," + Base64(jpeg);
  data["thumbnails"] = thumbs;

  std::string title = "mimicry report:";
  auto add_title = [&](const std::string& x) {
    for (char ch : x) title += ch == '<' ? std::string("&lt;") : ch == '&' ? std::string("&amp;") : std::string(1, ch);
    title += ' ';
  };
  if (audience) add_title("audience of " + fs::path(summary["stimulus"]["file"].get<std::string>()).filename().string());
  else
    for (const auto& p : summary["participants"]) add_title(p["id"].get<std::string>());
  // The template's markers are filled in one pass over the template, so that nothing
  // inserted (the chart library, the data) is ever searched for a marker.
  const std::vector<std::pair<std::string, std::string>> fills = {
      {"{{TITLE}}", title},
      {"/*{{STYLE}}*/", std::string(kReportCss)},
      {"/*{{CHART_LIBRARY}}*/", ScriptSafe(lib)},
      {"{{DATA}}", JsonSafe(data.dump(-1, ' ', false, json::error_handler_t::replace))},
      {"/*{{SCRIPT}}*/", ScriptSafe(kReportJs)}};
  const std::string_view tpl(kReportHtml);
  std::string page;
  size_t at = 0;
  for (const auto& [marker, with] : fills) {
    const size_t m = tpl.find(marker, at);
    if (m == std::string_view::npos) return Internal("report: page template lacks " + marker);
    page.append(tpl.substr(at, m - at));
    page += with;
    at = m + marker.size();
  }
  page.append(tpl.substr(at));

  const fs::path out = o.out_path.empty() ? (dir / "report.html").path() : fs::path(o.out_path);
  const fs::path tmp = out.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << page;
    f.close();
    if (!f) return OutputError(out.string() + ": cannot write");
  }
  fs::rename(tmp, out, ec);
  if (ec) return OutputError(out.string() + ": cannot write: " + ec.message());
  ReportResult r;
  r.path = out.string();
  r.bytes = page.size();
  // analyze: timelines + events, per pair the lag map, lag distribution and rapport, the
  // group matrix. audience: expressions, happiness, attention/retention, mirroring curve,
  // per-event mirroring, and the per-viewer distribution.
  if (audience) {
    r.charts = 5;
  } else {
    const size_t np = summary["participants"].size();
    r.charts = 2 + 3 * static_cast<int>(summary["pairs"].size()) + (np > 2 ? 1 : 0);
  }
  return r;
}

}  // namespace mimicry::report
