// Reading participants' time series that are not facial features: Motion Energy Analysis
// (MEA) files as rMEA reads them, and any CSV with one column per participant
// (docs/movement.md#inputs).
//
// Formats (told apart by the first line: a comma makes it CSV):
//  - Whitespace separated (MEA, .txt): one column per participant, no time column; an
//    optional first line of participant names (quoted or not: "pat" "th") when any of its
//    cells is not a number. Without names the columns are s1, s2, ... (rMEA's names).
//  - CSV: a header naming every column; a `timestamp` column (seconds, strictly
//    increasing) gives the times, otherwise the rows are 1 / rate_hz apart.
//  Missing values: NA, NaN or an empty cell (CSV) are missing (NaN); anything else that is
//  not a finite number is an error naming the file, line and column.
#pragma once

#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"

namespace mimicry::io {

struct SeriesReadOptions {
  // Rows per second when the file has no timestamp column (> 0, finite); 0 = the file must
  // have one. With a timestamp column it must be 0 or agree with the timestamps' rate.
  double rate_hz = 0;
  // Participant columns to keep, by header name or 1-based number ("2"); empty = every
  // column but `timestamp`.
  std::vector<std::string> columns;
  // The name of each series' one channel (its values keep the file's own units).
  std::string channel = "series";
};

struct SeriesTable {
  std::string path;
  std::string format;               // "mea" (whitespace separated) or "csv"
  std::vector<std::string> names;   // participants, in column order
  std::vector<TimeSeries> series;   // one per participant: one channel, samples on the file's times
  double rate_hz = 0;               // the rate used (given, or the timestamps' median rate)
  int64_t rows = 0;                 // data rows read
};

// Errors, each one line naming the file (and line, column): NotFound; InvalidInput for an
// empty or header-only file, rows of different lengths, non-numeric cells, a column
// asked for that is not there, non-increasing timestamps, no timestamp and no rate;
// InvalidArgument for a negative or non-finite rate.
Result<SeriesTable> ReadSeriesTable(const std::string& path, const SeriesReadOptions& options);

}  // namespace mimicry::io
