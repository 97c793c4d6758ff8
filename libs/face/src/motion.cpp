#include "mimicry/face/motion.h"

#include "mimicry/schema/vocabulary.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "similarity.h"

namespace mimicry::face {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Rigid points of the alignment: nose bridge and tip, nostrils, eye corners (as the AU
// appearance patch).
constexpr int kAlign[] = {27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45};

}  // namespace

const std::array<const char*, kNumMotionRegions>& MotionRegionNames() {
  static_assert(schema::kNumRegions == kNumMotionRegions, "the regions are the vocabulary's");
  return schema::kRegionNames;
}

Result<MotionModel> MotionModel::Create(const Face3D& face, const MotionOptions& options) {
  if (!(options.px_per_mm > 0.05f && options.px_per_mm <= 4.f)) return InvalidArgument("MotionModel: px_per_mm out of range");
  if (options.cell_px < 1 || options.cell_px > 16) return InvalidArgument("MotionModel: cell_px out of range (1-16)");
  if (!(options.snapshot_every_s > 0) || !(options.reference_window_s >= options.snapshot_every_s))
    return InvalidArgument("MotionModel: need 0 < snapshot_every_s <= reference_window_s");
  MotionModel m;
  m.o_ = options;
  const float biocular = static_cast<float>(cv::norm(face[45] - face[36]));
  if (!(biocular > 1.f)) return InvalidArgument("MotionModel: degenerate 3D face");
  const float s = options.px_per_mm * 90.f / biocular;
  std::array<cv::Point2f, kNumLandmarks> p{};
  for (int i = 0; i < kNumLandmarks; ++i) p[i] = {s * face[i].x, s * face[i].y};
  const float b = s * biocular;  // biocular width in template pixels
  auto miny = [&](int a, int z) {
    float v = p[a].y;
    for (int i = a; i <= z; ++i) v = std::min(v, p[i].y);
    return v;
  };
  auto maxy = [&](int a, int z) {
    float v = p[a].y;
    for (int i = a; i <= z; ++i) v = std::max(v, p[i].y);
    return v;
  };
  const float mid = 0.5f * (p[21].x + p[22].x);
  const float eye_top_r = std::min(p[37].y, p[38].y), eye_top_l = std::min(p[43].y, p[44].y);
  std::array<cv::Rect2f, kNumMotionRegions> r;
  auto box = [](float x0, float x1, float y0, float y1) { return cv::Rect2f(x0, y0, x1 - x0, y1 - y0); };
  r[kMotBrowR] = box(p[17].x - 0.03f * b, p[21].x + 0.02f * b, miny(17, 21) - 0.25f * b, eye_top_r - 0.04f * b);
  r[kMotBrowL] = box(p[22].x - 0.02f * b, p[26].x + 0.03f * b, miny(22, 26) - 0.25f * b, eye_top_l - 0.04f * b);
  r[kMotGlabella] = box(mid - 0.12f * b, mid + 0.12f * b, std::min(p[21].y, p[22].y) - 0.12f * b, p[28].y);
  r[kMotEyeR] = box(p[36].x - 0.06f * b, p[39].x + 0.03f * b, eye_top_r - 0.04f * b, maxy(40, 41) + 0.12f * b);
  r[kMotEyeL] = box(p[42].x - 0.03f * b, p[45].x + 0.06f * b, eye_top_l - 0.04f * b, maxy(46, 47) + 0.12f * b);
  r[kMotNose] = box(p[31].x - 0.1f * b, p[35].x + 0.1f * b, p[29].y, p[33].y + 0.02f * b);
  r[kMotMouth] = box(p[48].x - 0.1f * b, p[54].x + 0.1f * b, p[33].y + 0.04f * b, p[57].y + 0.06f * b);
  r[kMotChin] = box(p[48].x, p[54].x, p[57].y + 0.06f * b, p[8].y - 0.03f * b);
  // Template frame: the union of the regions plus a margin of two cells.
  cv::Rect2f all = r[0];
  for (const auto& x : r) all |= x;
  const float margin = 2.f * static_cast<float>(options.cell_px);
  const cv::Point2f shift(margin - all.x, margin - all.y);
  m.size_ = cv::Size(static_cast<int>(std::ceil(all.width + 2 * margin)), static_cast<int>(std::ceil(all.height + 2 * margin)));
  for (int i = 0; i < kNumLandmarks; ++i) m.template_[i] = p[i] + shift;
  const int c = options.cell_px;
  for (int k = 0; k < kNumMotionRegions; ++k) {
    const cv::Rect2f q(r[k].tl() + shift, r[k].size());
    for (int y = static_cast<int>(std::ceil(q.y)); y + c <= static_cast<int>(std::floor(q.y + q.height)); y += c)
      for (int x = static_cast<int>(std::ceil(q.x)); x + c <= static_cast<int>(std::floor(q.x + q.width)); x += c) {
        if (x < 0 || y < 0 || x + c > m.size_.width || y + c > m.size_.height) continue;
        m.cells_[k].emplace_back(x, y);
      }
    if (m.cells_[k].empty()) return InvalidArgument(std::string("MotionModel: region ") + MotionRegionNames()[k] + " has no cells");
    cv::Rect bb(m.cells_[k].front(), cv::Size(c, c));
    for (const cv::Point& p : m.cells_[k]) bb |= cv::Rect(p, cv::Size(c, c));
    m.boxes_[k] = bb;
  }
  return m;
}

cv::Mat MotionModel::Align(const cv::Mat& gray, const Landmarks& lm) const {
  CV_Assert(gray.type() == CV_8UC1);
  cv::Point2f from[std::size(kAlign)], to[std::size(kAlign)];
  for (size_t i = 0; i < std::size(kAlign); ++i) {
    from[i] = lm[kAlign[i]];
    to[i] = template_[kAlign[i]];
  }
  const Similarity sim = FitSimilarity(from, to, static_cast<int>(std::size(kAlign)));
  if (!(sim.scale() > 1e-3f) || !std::isfinite(sim.scale())) return {};
  const cv::Matx23f M(sim.a, -sim.b, sim.tx, sim.b, sim.a, sim.ty);
  cv::Mat warped, f;
  // Shrinking a face more than 4 times: area-average the face's
  // surroundings first (only them: the frame may be large), so that the bilinear warp
  // does not alias pixel noise.
  const cv::Mat* src = &gray;
  cv::Mat small;
  cv::Matx23f Mu = M;
  const float scale = sim.scale();
  if (scale < 0.25f) {
    cv::Rect2f bb(lm[0], cv::Size2f(0, 0));
    for (const auto& p : lm) bb |= cv::Rect2f(p, cv::Size2f(1, 1));
    const float pad = 0.5f * std::max(bb.width, bb.height);
    const cv::Rect roi = cv::Rect(cv::Point(static_cast<int>(bb.x - pad), static_cast<int>(bb.y - pad)),
                                  cv::Point(static_cast<int>(bb.x + bb.width + pad), static_cast<int>(bb.y + bb.height + pad))) &
                         cv::Rect(0, 0, gray.cols, gray.rows);
    if (roi.area() > 0) {
      const double k = 2.0 * scale;  // keep 2 source px per template px
      cv::resize(gray(roi), small, cv::Size(), k, k, cv::INTER_AREA);
      src = &small;
      // template = M (roi.tl + small / k)
      const float inv = static_cast<float>(1.0 / k);
      Mu = cv::Matx23f(M(0, 0) * inv, M(0, 1) * inv, M(0, 0) * roi.x + M(0, 1) * roi.y + M(0, 2),
                       M(1, 0) * inv, M(1, 1) * inv, M(1, 0) * roi.x + M(1, 1) * roi.y + M(1, 2));
    }
  }
  cv::warpAffine(*src, warped, Mu, size_, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  warped.convertTo(f, CV_32F);
  return f;
}

namespace {

// Per region: the cell sums of the frame normalised to the region's mean 0 / SD 1 (over
// its box); empty for a flat region. Cell sums from an integral image.
std::vector<std::vector<float>> NormalisedCells(const MotionModel& model, const cv::Mat& img) {
  const int c = model.options().cell_px;
  const double area = static_cast<double>(c * c);
  cv::Mat sum;
  cv::integral(img, sum, CV_64F);
  std::vector<std::vector<float>> out(kNumMotionRegions);
  for (int k = 0; k < kNumMotionRegions; ++k) {
    cv::Scalar m, sd;
    cv::meanStdDev(img(model.boxes()[k]), m, sd);
    if (!(sd[0] > 0.5)) continue;
    const auto& cells = model.cells()[k];
    auto& o = out[static_cast<size_t>(k)];
    o.reserve(cells.size());
    for (const cv::Point& p : cells) {
      const double cell = sum.at<double>(p.y + c, p.x + c) - sum.at<double>(p.y, p.x + c) - sum.at<double>(p.y + c, p.x) +
                          sum.at<double>(p.y, p.x);
      o.push_back(static_cast<float>((cell / area - m[0]) / sd[0]));
    }
  }
  return out;
}

}  // namespace

void MotionTracker::Reset() {
  snaps_.clear();
  ref_.clear();
  last_snap_ = Timestamp{INT64_MIN};
}

void MotionTracker::RebuildReference() {
  ref_.assign(kNumMotionRegions, {});
  std::vector<float> v;
  for (size_t k = 0; k < static_cast<size_t>(kNumMotionRegions); ++k) {
    size_t cells = 0;
    for (const auto& sn : snaps_) cells = std::max(cells, sn.second[k].size());
    if (cells == 0) continue;
    ref_[k].resize(cells);
    for (size_t j = 0; j < cells; ++j) {
      v.clear();
      for (const auto& sn : snaps_)
        if (sn.second[k].size() == cells) v.push_back(sn.second[k][j]);
      auto at = v.begin() + static_cast<long>(v.size() / 2);
      std::nth_element(v.begin(), at, v.end());
      ref_[k][j] = *at;
    }
  }
}

MotionSample MotionTracker::Update(const MotionModel& model, const cv::Mat& gray, const Landmarks& lm, Timestamp t) {
  MotionSample out;
  out.fill(kNaN);
  if (gray.empty() || gray.type() != CV_8UC1) return out;
  const cv::Mat img = model.Align(gray, lm);
  if (img.empty()) return out;
  const MotionOptions& o = model.options();
  auto cells = NormalisedCells(model, img);
  if (static_cast<int>(snaps_.size()) >= o.min_snapshots && !ref_.empty())
    for (size_t k = 0; k < static_cast<size_t>(kNumMotionRegions); ++k) {
      if (cells[k].empty() || ref_[k].size() != cells[k].size()) continue;
      // The mean over the region's most changed third of cells: an action moves part of
      // a region (the lip corners of the mouth region), which the mean over all cells
      // would dilute.
      diff_.resize(cells[k].size());
      for (size_t j = 0; j < cells[k].size(); ++j) diff_[j] = std::abs(cells[k][j] - ref_[k][j]);
      const size_t top = std::max<size_t>(1, diff_.size() / 3);
      std::nth_element(diff_.begin(), diff_.begin() + static_cast<long>(top - 1), diff_.end(), std::greater<float>());
      double acc = 0;
      for (size_t j = 0; j < top; ++j) acc += diff_[j];
      out[k] = static_cast<float>(100.0 * acc / static_cast<double>(top));
    }
  const int64_t every = static_cast<int64_t>(std::llround(o.snapshot_every_s * 1e6));
  if (last_snap_.us == INT64_MIN || t.us - last_snap_.us >= every || t.us < last_snap_.us) {
    const int64_t window = static_cast<int64_t>(std::llround(o.reference_window_s * 1e6));
    while (!snaps_.empty() && (t.us - snaps_.front().first.us > window || t.us < snaps_.front().first.us)) snaps_.pop_front();
    snaps_.emplace_back(t, std::move(cells));
    last_snap_ = t;
    RebuildReference();
  }
  return out;
}

}  // namespace mimicry::face
