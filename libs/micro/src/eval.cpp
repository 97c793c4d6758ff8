#include "mimicry/micro/eval.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mimicry/core/csv.h"

namespace mimicry::micro {
namespace {
namespace fs = std::filesystem;



void Score(ClassScore& c) {
  c.precision = c.predicted > 0 ? static_cast<double>(c.matched) / c.predicted : 0;
  c.recall = c.truth > 0 ? static_cast<double>(c.matched) / c.truth : 0;
  c.f1 = c.precision + c.recall > 0 ? 2 * c.precision * c.recall / (c.precision + c.recall) : 0;
}

}  // namespace

Result<std::vector<LabeledInterval>> ReadIntervals(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  if (s.empty()) return InvalidInput(path + ": empty file");
  std::vector<LabeledInterval> out;
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && s[first] == '{') {
    const auto j = nlohmann::json::parse(s, nullptr, false);
    if (j.is_discarded()) return InvalidInput(path + ": not valid JSON");
    if (!j.contains("events") || !j["events"].is_array() || !j.contains("participants") || !j["participants"].is_array())
      return InvalidInput(path + ": not a mimicry truth.json (needs participants and events)");
    std::map<std::string, std::string> stem;
    for (const auto& p : j["participants"]) {
      if (!p.contains("id") || !p["id"].is_string()) return InvalidInput(path + ": participants[]: missing id");
      const std::string video = p.contains("video") && p["video"].is_string() ? p["video"].get<std::string>() : p["id"].get<std::string>() + ".mp4";
      stem[p["id"]] = fs::path(video).stem().string();
    }
    for (size_t i = 0; i < j["events"].size(); ++i) {
      const auto& e = j["events"][i];
      const std::string where = path + ": events[" + std::to_string(i) + "]";
      if (!e.contains("kind") || !e["kind"].is_string()) return InvalidInput(where + ": missing kind");
      const std::string kind = e["kind"];
      if (kind != "micro" && kind != "macro") continue;
      if (!e.contains("participant") || !e["participant"].is_string() || !stem.count(e["participant"]))
        return InvalidInput(where + ": unknown participant");
      if (!e.contains("onset_s") || !e["onset_s"].is_number() || !e.contains("offset_s") || !e["offset_s"].is_number())
        return InvalidInput(where + ": needs numeric onset_s and offset_s");
      out.push_back({stem[e["participant"]], kind, e["onset_s"].get<double>(), e["offset_s"].get<double>()});
    }
    return out;
  }
  std::stringstream lines(s);
  CsvReader csv(lines, path);
  std::vector<std::string> h, c;
  if (!csv.Read(h) && !csv.status().ok()) return csv.status();
  auto col = [&](const char* n) { return FindColumn(h, n); };
  const int cs = col("source"), ck = col("kind"), con = col("onset_s"), coff = col("offset_s");
  if (cs < 0 || ck < 0 || con < 0 || coff < 0)
    return InvalidInput(path + ": needs the columns source, kind, onset_s, offset_s (or a mimicry truth.json)");
  while (csv.Read(c)) {
    const std::string where = path + ": line " + std::to_string(csv.line());
    if (c.size() != h.size()) return InvalidInput(where + ": " + std::to_string(c.size()) + " fields, the header has " + std::to_string(h.size()));
    LabeledInterval x;
    x.source = c[static_cast<size_t>(cs)];
    x.kind = c[static_cast<size_t>(ck)];
    if (!ParseNumber(c[static_cast<size_t>(con)], x.onset_s) || !ParseNumber(c[static_cast<size_t>(coff)], x.offset_s))
      return InvalidInput(where + ": onset_s and offset_s must be numbers");
    if (x.offset_s < x.onset_s) return InvalidInput(where + ": offset_s before onset_s");
    if (x.kind != "micro" && x.kind != "macro") continue;
    out.push_back(x);
  }
  if (!csv.status().ok()) return csv.status();
  return out;
}

Status CheckCommonSources(const std::vector<LabeledInterval>& pred, const std::vector<LabeledInterval>& truth,
                          const std::string& pred_path, const std::string& truth_path) {
  std::set<std::string> ps, ts;
  for (const auto& x : pred) ps.insert(x.source);
  for (const auto& x : truth) ts.insert(x.source);
  if (ps.empty() || ts.empty()) return Status::Ok();  // nothing predicted or nothing to find: the scores say so
  for (const auto& s : ps)
    if (ts.count(s)) return Status::Ok();
  auto list = [](const std::set<std::string>& v) {
    std::string out;
    size_t k = 0;
    for (const auto& s : v) {
      if (k++ == 3) return out + ", ...";
      out += (out.empty() ? "" : ", ") + s;
    }
    return out;
  };
  return InvalidInput(pred_path + " and " + truth_path + " share no source (predicted: " + list(ps) + "; truth: " + list(ts) +
                      "): intervals are only compared within the same video");
}

SpottingScore Evaluate(const std::vector<LabeledInterval>& pred, const std::vector<LabeledInterval>& truth, double fps, double iou_min) {
  SpottingScore sc;
  auto frames = [&](const LabeledInterval& x) {
    return std::pair<long, long>(std::lround(x.onset_s * fps), std::max(std::lround(x.onset_s * fps), std::lround(x.offset_s * fps)));
  };
  for (const char* kind : {"micro", "macro"}) {
    ClassScore& c = std::string(kind) == "micro" ? sc.micro : sc.macro;
    std::vector<const LabeledInterval*> p, g;
    for (const auto& x : pred)
      if (x.kind == kind) p.push_back(&x);
    for (const auto& x : truth)
      if (x.kind == kind) g.push_back(&x);
    c.predicted = static_cast<int>(p.size());
    c.truth = static_cast<int>(g.size());
    struct Pair {
      double iou;
      size_t a, b;
    };
    std::vector<Pair> pairs;
    for (size_t a = 0; a < p.size(); ++a)
      for (size_t b = 0; b < g.size(); ++b) {
        if (p[a]->source != g[b]->source) continue;
        const auto [p0, p1] = frames(*p[a]);
        const auto [g0, g1] = frames(*g[b]);
        const long inter = std::min(p1, g1) - std::max(p0, g0) + 1;
        if (inter <= 0) continue;
        const long uni = std::max(p1, g1) - std::min(p0, g0) + 1;
        const double iou = static_cast<double>(inter) / static_cast<double>(uni);
        if (iou >= iou_min) pairs.push_back({iou, a, b});
      }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.iou > y.iou; });
    std::vector<uint8_t> used_p(p.size(), 0), used_g(g.size(), 0);
    for (const auto& x : pairs)
      if (!used_p[x.a] && !used_g[x.b]) used_p[x.a] = used_g[x.b] = 1, ++c.matched;
    Score(c);
  }
  sc.overall.truth = sc.micro.truth + sc.macro.truth;
  sc.overall.predicted = sc.micro.predicted + sc.macro.predicted;
  sc.overall.matched = sc.micro.matched + sc.macro.matched;
  Score(sc.overall);
  return sc;
}

}  // namespace mimicry::micro
