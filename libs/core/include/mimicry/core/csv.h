// Small CSV helpers shared by the stages that read tables (no quoting: the tables mimicry
// reads and writes have none).
#pragma once

#include <string>
#include <vector>

namespace mimicry {

// The cells of one line split at commas, each trimmed of spaces, tabs and CR; a trailing
// comma gives a trailing empty cell.
std::vector<std::string> SplitCsvLine(const std::string& line);

// The index of the column called `name` in a header, or -1.
int FindColumn(const std::vector<std::string>& header, const std::string& name);

// A finite number filling the whole cell; false for empty, partial or non-finite text.
bool ParseNumber(const std::string& cell, double& value);

}  // namespace mimicry
