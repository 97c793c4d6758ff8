#include "mimicry/series/uniform.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "mimicry/stats/descriptive.h"

namespace mimicry::series {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> Valid(const std::vector<float>& x) {
  std::vector<float> v;
  v.reserve(x.size());
  for (float f : x)
    if (std::isfinite(f)) v.push_back(f);
  return v;
}

// Median and robust SD of the valid samples.
void Robust(const std::vector<float>& x, float& med, float& sd) {
  std::vector<float> v = Valid(x);
  med = static_cast<float>(stats::Median(std::span<const float>(v)));
  for (float& f : v) f = std::abs(f - med);
  sd = static_cast<float>(1.4826 * stats::Median(std::span<const float>(v)));
  if (!(sd > 1e-9f)) {
    double s = 0, n = 0;
    for (float f : x)
      if (std::isfinite(f)) s += (f - med) * (f - med), n += 1;
    sd = n > 1 ? static_cast<float>(std::sqrt(s / (n - 1))) : 0.f;
  }
}

}  // namespace

int Uniform::ChannelIndex(const std::string& name) const {
  for (size_t i = 0; i < channels.size(); ++i)
    if (channels[i] == name) return static_cast<int>(i);
  return -1;
}

double Uniform::ValidFraction(size_t c) const {
  if (data[c].empty()) return 0;
  size_t n = 0;
  for (float f : data[c]) n += std::isfinite(f) ? 1 : 0;
  return static_cast<double>(n) / static_cast<double>(data[c].size());
}

Uniform Resample(const TimeSeries& in, double offset_s, double t0_s, size_t n, const ResampleOptions& o) {
  assert(o.rate_hz > 0);
  Uniform u;
  u.t0_s = t0_s;
  u.rate_hz = o.rate_hz;
  u.channels = in.header().channels;
  u.data.assign(in.num_channels(), std::vector<float>(n, kNaN));
  size_t j = 0;  // first input sample with time >= t
  for (size_t i = 0; i < n; ++i) {
    const double t = t0_s + static_cast<double>(i) / o.rate_hz;
    while (j < in.size() && in.time(j).seconds() + offset_s < t - 1e-9) ++j;
    for (size_t c = 0; c < in.num_channels(); ++c) {
      float v = kNaN;
      if (j < in.size() && std::abs(in.time(j).seconds() + offset_s - t) < 1e-6) {
        v = static_cast<float>(in.value(j, c));
      } else if (j > 0 && j < in.size()) {
        const double ta = in.time(j - 1).seconds() + offset_s, tb = in.time(j).seconds() + offset_s;
        const double a = in.value(j - 1, c), b = in.value(j, c);
        if (tb - ta <= o.max_gap_s && std::isfinite(a) && std::isfinite(b))
          v = static_cast<float>(a + (b - a) * (t - ta) / (tb - ta));
      }
      u.data[c][i] = v;
    }
  }
  return u;
}

void Prepare(Uniform& u, const PrepareOptions& o) {
  for (auto& x : u.data) {
    // Outliers against the plain mean and SD: sparse expressive channels (long rests, brief
    // events) have a tiny robust SD, and a robust rule would delete their events.
    double sum = 0, ss = 0, cnt = 0;
    for (float f : x)
      if (std::isfinite(f)) sum += f, ss += static_cast<double>(f) * f, cnt += 1;
    if (cnt < 2) continue;
    const double mean = sum / cnt, sd = std::sqrt(std::max(0.0, ss / cnt - mean * mean));
    if (o.outlier_sd > 0 && sd > 0)
      for (float& f : x)
        if (std::isfinite(f) && std::abs(f - mean) > o.outlier_sd * sd) f = kNaN;
    if (o.subtract_baseline || o.standardize) {
      float med = 0, rsd = 0;
      Robust(x, med, rsd);
      double s2 = 0, n2 = 0;
      for (float f : x)
        if (std::isfinite(f)) s2 += (f - med) * (f - med), n2 += 1;
      const double spread = n2 > 1 ? std::sqrt(s2 / (n2 - 1)) : 0;
      const float shift = o.subtract_baseline ? med : 0.f;
      const float scale = o.standardize && spread > 1e-9 ? static_cast<float>(1.0 / spread) : 1.f;
      for (float& f : x)
        if (std::isfinite(f)) f = (f - shift) * scale;
    }
    if (o.smooth_s > 0) {
      const int half = std::max(0, static_cast<int>(std::lround(o.smooth_s * u.rate_hz / 2)));
      if (half == 0) continue;
      const std::vector<float> src = x;
      const int n = static_cast<int>(src.size());
      // Prefix sums of values and of valid counts: O(n).
      std::vector<double> s(static_cast<size_t>(n) + 1, 0), c(static_cast<size_t>(n) + 1, 0);
      for (int i = 0; i < n; ++i) {
        const bool ok = std::isfinite(src[static_cast<size_t>(i)]);
        s[static_cast<size_t>(i) + 1] = s[static_cast<size_t>(i)] + (ok ? src[static_cast<size_t>(i)] : 0.0);
        c[static_cast<size_t>(i) + 1] = c[static_cast<size_t>(i)] + (ok ? 1 : 0);
      }
      // The window stays inside the sample's own run of valid samples (no joining across gaps).
      int run_start = 0;
      std::vector<int> run_end(static_cast<size_t>(n), n);
      for (int i = n - 1, end = n; i >= 0; --i) {
        if (!std::isfinite(src[static_cast<size_t>(i)])) end = i;
        run_end[static_cast<size_t>(i)] = end;
      }
      for (int i = 0; i < n; ++i) {
        if (!std::isfinite(src[static_cast<size_t>(i)])) {
          run_start = i + 1;
          continue;
        }
        const int a = std::max(run_start, i - half), b = std::min(run_end[static_cast<size_t>(i)], i + half + 1);
        const double cnt = c[static_cast<size_t>(b)] - c[static_cast<size_t>(a)];
        x[static_cast<size_t>(i)] = static_cast<float>((s[static_cast<size_t>(b)] - s[static_cast<size_t>(a)]) / cnt);
      }
    }
  }
}

}  // namespace mimicry::series
