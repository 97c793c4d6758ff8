#include "mimicry/core/csv.h"

#include <cmath>
#include <cstdlib>

namespace mimicry {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Parses the record in `text` (which may hold line breaks inside quotes) into `fields`.
// Returns false when a quoted field is still open at the end of `text`; `error` is set for
// text after a closing quote.
bool ParseRecord(std::string_view text, std::vector<std::string>& fields, bool& spaced, std::string& error) {
  fields.clear();
  size_t i = 0;
  const size_t n = text.size();
  while (true) {
    std::string f;
    const size_t start = i;
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < n && text[i] == '"') {
      ++i;
      while (true) {
        if (i >= n) return false;  // still inside the quotes
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            f += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f += text[i++];
      }
      while (i < n && IsSpace(text[i])) ++i;
      if (i < n && text[i] != ',') {
        error = "text after a closing quote";
        return true;
      }
    } else {
      if (i > start && i < n && text[i] != ',') spaced = true;
      const size_t b = i;
      while (i < n && text[i] != ',') ++i;
      size_t e = i;
      while (e > b && IsSpace(text[e - 1])) --e;
      f.assign(text.substr(b, e - b));
    }
    fields.push_back(std::move(f));
    if (i >= n) return true;
    ++i;  // the comma
  }
}

}  // namespace

CsvReader::CsvReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {}

bool CsvReader::Read(std::vector<std::string>& fields) {
  if (!status_.ok()) return false;
  std::string line;
  while (true) {
    if (!std::getline(in_, line)) return false;
    ++line_;
    if (line_ == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (line.find_first_not_of(" \t\r") != std::string::npos) break;  // blank lines are skipped
  }
  record_line_ = line_;
  buf_ = std::move(line);
  std::string error;
  while (!ParseRecord(buf_, fields, spaced_, error)) {
    std::string more;
    if (!std::getline(in_, more)) {
      status_ = InvalidInput(name_ + ": line " + std::to_string(record_line_) + ": a quoted field is not closed");
      return false;
    }
    ++line_;
    if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();  // CRLF inside quotes: one line break
    buf_ += '\n';
    buf_ += more;
  }
  if (!error.empty()) {
    status_ = InvalidInput(name_ + ": line " + std::to_string(record_line_) + ": " + error);
    return false;
  }
  return true;
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields;
  if (line.empty()) return fields;
  bool spaced = false;
  std::string error;
  if (!ParseRecord(line, fields, spaced, error)) {
    // An unterminated quote: the rest of the line is its field.
    std::string rest = line + "\"";
    ParseRecord(rest, fields, spaced, error);
  }
  return fields;
}

std::string CsvField(std::string_view v) {
  const bool quote = v.find_first_of(",\"\n\r") != std::string_view::npos ||
                     (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t'));
  if (!quote) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
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
