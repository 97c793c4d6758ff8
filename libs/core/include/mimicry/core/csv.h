// The one CSV reader and writer of mimicry (RFC 4180).
//
// Reading: fields are separated by commas and may be enclosed in double quotes; a quoted
// field may hold commas, line breaks and doubled quotes (""). Records end at LF or CRLF
// outside quotes. Unquoted fields are trimmed of spaces, tabs and CR (OpenFace writes
// ", " between fields); quoted fields are kept verbatim. A UTF-8 byte-order mark at the
// start of the input is skipped; blank lines are skipped. A trailing comma gives a
// trailing empty field.
// Writing: CsvField quotes a field only when it has to (a comma, quote, line break, or
// leading/trailing space), so plain numbers and names are written as they are.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "mimicry/core/status.h"

namespace mimicry {

class CsvReader {
 public:
  // Reads records from `in`; `name` (the file's path) starts every error message.
  CsvReader(std::istream& in, std::string name);

  // The next record's fields; false at the end of the input or on an error, which
  // status() then holds: InvalidInput "<name>: line N: ..." for a quoted field that is
  // never closed or text after a closing quote. Read in a loop, then check status():
  //   while (csv.Read(row)) { ... }
  //   if (!csv.status().ok()) return csv.status();
  bool Read(std::vector<std::string>& fields);
  const Status& status() const { return status_; }

  // The line (1-based) where the record returned last starts.
  int line() const { return record_line_; }
  // Whether an unquoted field of the records read so far had leading spaces (", ").
  bool spaced() const { return spaced_; }

 private:
  std::istream& in_;
  std::string name_;
  std::string buf_;
  int line_ = 0, record_line_ = 0;
  bool spaced_ = false;
  Status status_;
};

// The fields of one line (a record without line breaks), by the rules above; an
// unterminated quote takes the rest of the line.
std::vector<std::string> SplitCsvLine(const std::string& line);

// `value` as one CSV field: quoted (with inner quotes doubled) when it holds a comma, a
// quote, a line break or leading/trailing white space; as it is otherwise.
std::string CsvField(std::string_view value);

// The index of the column called `name` in a header, or -1.
int FindColumn(const std::vector<std::string>& header, const std::string& name);

// A finite number filling the whole cell; false for empty, partial or non-finite text.
bool ParseNumber(const std::string& cell, double& value);

}  // namespace mimicry
