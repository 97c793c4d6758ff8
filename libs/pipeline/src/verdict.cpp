#include "verdict.h"

#include <cmath>

#include <fmt/format.h>

namespace mimicry::pipeline {
using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json ChanceJson(const sync::Chance& c) {
  return json{{"mean", Num(c.mean)}, {"lo95", Num(c.lo95)}, {"hi95", Num(c.hi95)}, {"n", c.n}};
}

std::string Verdict(bool tested, double p, const std::string& why) {
  if (!tested || !std::isfinite(p)) return "not tested: " + (why.empty() ? std::string("no test was possible") : why);
  return p < 0.05 ? "more than chance" : "not more than chance";
}

std::string Plural(size_t n, const std::string& noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

std::string FmtP(double p) { return std::isfinite(p) ? fmt::format("p {:.3f}", p) : "p -"; }

namespace {
double D(const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }
bool B(const json& v) { return v.is_boolean() && v.get<bool>(); }
std::string S(const json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }
std::string Fixed(const json& v, int digits) { return v.is_number() ? fmt::format("{:.{}f}", v.get<double>(), digits) : "-"; }
}  // namespace

std::string FmtChance(const json& c, int digits) {
  if (!c.is_object() || !c["mean"].is_number()) return "-";
  return fmt::format("{} [{}, {}]", Fixed(c["mean"], digits), Fixed(c["lo95"], digits), Fixed(c["hi95"], digits));
}

namespace {

// "p 0.003, more than chance" or "not tested: why".
std::string Test(const json& obj) {
  if (!B(obj["tested"])) return "not tested: " + S(obj["not_tested"]);
  return FmtP(D(obj["p"])) + ", " + S(obj["verdict"]);
}

// Series inputs have one kind of event (a movement), answered strictly: no broad part.
std::string MimicryLine(const json& m, const std::string& leader, const std::string& follower, bool series) {
  const json& st = m["strict"]["a_to_b"];
  const json& br = m["broad"]["a_to_b"];
  const int events = st["events"].get<int>(), s = st["count"].get<int>(), b = br["count"].get<int>();
  if (series) {
    const std::string line = fmt::format("{} answered {} of {}'s {}", follower, s, leader, Plural(static_cast<size_t>(events), "movement"));
    if (!B(st["tested"])) return line + "; not tested: " + S(st["not_tested"]);
    return line + fmt::format("; chance {:.1f}; {}", D(st["expected"]), FmtP(D(st["p"])));
  }
  std::string line = fmt::format("{} answered {} of {}'s {} ({} strict, {} broad)", follower, s + b, leader,
                                 Plural(static_cast<size_t>(events), "expression"), s, b);
  if (!B(st["tested"])) return line + "; not tested: " + S(st["not_tested"]);
  return line + fmt::format("; chance {:.1f} + {:.1f}; strict {}, broad {}", D(st["expected"]), D(br["expected"]),
                            FmtP(D(st["p"])), FmtP(D(br["p"])));
}

json Flip(const json& m) {
  json f = m;
  for (const char* mode : {"strict", "broad"}) {
    f[mode]["a_to_b"] = m[mode]["b_to_a"];
    f[mode]["b_to_a"] = m[mode]["a_to_b"];
  }
  return f;
}

}  // namespace

std::string PairText(const json& p) {
  const std::string a = S(p["a"]), b = S(p["b"]);
  std::string t = fmt::format("    {} & {} ({:.1f} s shared)\n", a, b, D(p["span"]["duration_s"]));
  const json& sy = p["synchrony"];
  t += fmt::format("      synchrony  r {} at lag {:+.2f} s (chance {}); {}\n", Fixed(sy["r"], 2),
                   sy["lag_s"].is_number() ? D(sy["lag_s"]) : 0.0, FmtChance(sy["chance"], 2), Test(sy));
  const json& l = p["leader"];
  if (l["id"].is_string())
    t += fmt::format("      leader     {} leads, {} follows {:.2f} s later; {}\n", S(l["id"]), S(l["follower"]), D(l["lag_s"]),
                     Test(l));
  else
    t += fmt::format("      leader     neither (the coupling peaks at lag 0); {}\n", Test(l));
  const bool series = p.contains("inputs") && p["inputs"] == "series";
  t += std::string(series ? "      answers    " : "      mimicry    ") + MimicryLine(p["mimicry"], a, b, series) + "\n";
  t += "                 " + MimicryLine(Flip(p["mimicry"]), b, a, series) + "\n";
  if (series) return t;  // no faces: no contagion or rapport
  const json& c = p["contagion"];
  if (B(c["ok"]))
    t += fmt::format("      contagion  valence r {} (chance {}){}; {}\n", Fixed(c["r"], 2), FmtChance(c["chance"], 2),
                     c["leader"].is_string() ? fmt::format(", {} leads by {:.2f} s", S(c["leader"]), D(c["lag_s"])) : "", Test(c));
  else
    t += "      contagion  " + Test(c) + "\n";
  const json& r = p["rapport"];
  t += fmt::format("      rapport    {} [{}, {}] (chance {}; a heuristic index)\n", Fixed(r["index"], 0), Fixed(r["ci95"][0], 0),
                   Fixed(r["ci95"][1], 0), FmtChance(r["chance"], 0));
  return t;
}

std::string GroupText(const json& g) {
  return fmt::format("  group      synchrony index {} (chance {}) over {}\n", Fixed(g["synchrony_index"], 2),
                     FmtChance(g["chance"], 2), Plural(static_cast<size_t>(g["pairs"].get<int>()), "pair"));
}

}  // namespace mimicry::pipeline
