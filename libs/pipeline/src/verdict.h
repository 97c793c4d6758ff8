// How analyze states its results to a person (internal to libs/pipeline): numbers never
// print as "nan", an untested value says why, counts agree with their nouns.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "mimicry/sync/surrogate.h"

namespace mimicry::pipeline {

// A finite number, or null.
nlohmann::json Num(double v);
// {mean, lo95, hi95, n}: a chance level.
nlohmann::json ChanceJson(const sync::Chance& c);
// "more than chance" (p < 0.05), "not more than chance", or "not tested: <why>".
std::string Verdict(bool tested, double p, const std::string& why);
// "1 answer", "3 answers".
std::string Plural(size_t n, const std::string& noun);
// "p 0.003"; "p < 0.001" never (the surrogates' resolution is stated instead).
std::string FmtP(double p);
// "0.12 [0.05, 0.20]" or "-" when unknown.
std::string FmtChance(const nlohmann::json& chance, int digits);

// The terminal lines of one pair of summary.json (docs/analyze.md#terminal).
std::string PairText(const nlohmann::json& pair);
// The terminal lines of summary.json's group object.
std::string GroupText(const nlohmann::json& group);

}  // namespace mimicry::pipeline
