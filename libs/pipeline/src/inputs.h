// Inputs shared by analyze and audience (internal to libs/pipeline): a recording read as
// a feature table (videos extracted once, cached), and its channels on a common clock.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mimicry/core/status.h"
#include "mimicry/core/time_series.h"
#include "mimicry/face/au.h"
#include "mimicry/schema/feature_table.h"
#include "mimicry/pipeline/extract.h"
#include "mimicry/series/uniform.h"

namespace mimicry::pipeline::internal {

using StageProgress = std::function<void(const std::string& stage, double fraction)>;

// Channels every participant gets, in this order: the 17 AUs (AU01..AU45), then smile,
// valence, head_nod, head_shake, affect_positive, affect_negative, affect_surprise (per
// affect class, the largest intensity of the AUs of its actions).
std::vector<std::string> ChannelNames();

// The channels pooled for synchrony and leadership: the 16 expressive AUs (not AU45) and
// the three affect channels (which carry broad mirroring: a smile answered by a cheek raise).
bool Pooled(const std::string& channel);

// Raw channels resampled onto the clock t0 + k / rate_hz (k < n), the recording's own
// times shifted by offset_s; gaps longer than max_gap_s stay NaN; plus the derived ones.
series::Uniform Derive(const TimeSeries& raw, double offset_s, double t0, size_t n, double rate_hz, double max_gap_s);

// The sided intensities of sample i of `in` (resampled feature channels, schema::FeatureHeader
// names AUxx_r_L / AUxx_r_R) into a.left / a.right; where a side is unknown (OpenFace,
// py-feat tables) both sides take a.r's value, which must be filled first.
struct SideChannels {
  std::array<int, face::kSidedAus.size()> left{}, right{};  // channel indices, -1 = absent
};
SideChannels SideChannelsOf(const series::Uniform& in);
void SidesOf(const series::Uniform& in, const SideChannels& c, size_t i, face::AuIntensities& a);

// A feature CSV as is; a video through extract, cached as out_dir/extract/<cache_name or
// the file's stem>.csv and reused while newer than the video. Errors: NotFound,
// InvalidInput, NoFace (a video without any face), ModelMissing.
Result<schema::FeatureTable> LoadInput(const std::string& path, const std::string& out_dir, const ExtractOptions& extract,
                                   const std::string& cache_name, const StageProgress& progress);

// The face a recording is about: the face tracked longest; among faces tracked almost as
// long (>= 90% of its rows), the largest (median face_size, the nearest to the camera).
// Null for a table without faces; *id (when given) is its face id.
const TimeSeries* MainFace(const schema::FeatureTable& t, int* id = nullptr);

// Writes a whole text file. Errors: OutputError naming it.
Status WriteText(const std::string& path, const std::string& text);

// The files a run writes into its folder, each also kept as written, so that the report
// renders them without reading them back (report::ReportOptions::files).
class OutputFiles {
 public:
  explicit OutputFiles(std::string dir) : dir_(std::move(dir)) {}
  // Writes dir/name (name relative, '/'-separated). Errors: OutputError naming the file.
  Status Write(const std::string& name, std::string text);
  std::map<std::string, std::string> Take() { return std::move(files_); }

 private:
  std::string dir_;
  std::map<std::string, std::string> files_;
};

}  // namespace mimicry::pipeline::internal
