#include "mimicry/core/csv.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace mimicry {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> c;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, ',');) {
    const size_t b = x.find_first_not_of(" \t\r"), e = x.find_last_not_of(" \t\r");
    c.push_back(b == std::string::npos ? "" : x.substr(b, e - b + 1));
  }
  if (!line.empty() && line.back() == ',') c.emplace_back();
  return c;
}

int FindColumn(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

bool ParseNumber(const std::string& s, double& v) {
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && end != s.c_str() && *end == '\0' && std::isfinite(v);
}

}  // namespace mimicry
