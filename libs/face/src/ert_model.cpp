#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "mimicry/face/ert_format.h"
#include "mimicry/face/landmarks.h"
#include "similarity.h"

namespace mimicry::face {
namespace {

class ErtModel final : public LandmarkModel {
 public:
  ~ErtModel() override {
    if (base_ != nullptr) munmap(base_, size_);
  }

  static Result<std::shared_ptr<const LandmarkModel>> Load(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return ModelMissing(path +
                          ": landmark model not found; run scripts/setup.sh (it installs Debian's libdlib-data "
                          "and converts shape_predictor_68_face_landmarks.dat), or pass --models-dir");
    struct stat st {};
    if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(ErtHeader))) {
      ::close(fd);
      return InvalidInput(path + ": not a landmark model (.ert): too small");
    }
    void* base = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED) return InvalidInput(path + ": cannot map landmark model");
    auto m = std::shared_ptr<ErtModel>(new ErtModel());
    m->base_ = base;
    m->size_ = static_cast<size_t>(st.st_size);
    m->path_ = path;
    MIMICRY_RETURN_IF_ERROR(m->Index());
    return std::shared_ptr<const LandmarkModel>(std::move(m));
  }

  std::string Describe() const override {
    return "dlib shape_predictor_68_face_landmarks (ERT, " + std::to_string(h_.num_cascades) + "x" +
           std::to_string(h_.trees_per_cascade) + " trees) via " + path_;
  }
  std::span<const cv::Point2f> MeanShape() const override { return mean_; }

  void Fit(const cv::Mat& gray, const LandmarkBox& box, Landmarks& out) const override {
    CV_Assert(gray.type() == CV_8UC1);
    const int P = static_cast<int>(h_.num_points);
    const int F = static_cast<int>(h_.num_features);
    const int L = 2 * P;
    alignas(32) float shape[2 * kNumLandmarks];
    std::memcpy(shape, initial_, sizeof(float) * L);
    float pix[kMaxFeatures];
    uint16_t leaf_of[kMaxTrees];
    const int W = gray.cols, H = gray.rows;
    const uint32_t T = h_.trees_per_cascade, S = h_.num_splits;
    for (uint32_t c = 0; c < h_.num_cascades; ++c) {
      const Cascade& cas = cascades_[c];
      // Similarity (rotation + scale) from the mean shape to the current shape.
      const Similarity s = FitSimilarity(reinterpret_cast<const cv::Point2f*>(initial_),
                                         reinterpret_cast<const cv::Point2f*>(shape), P);
      for (int f = 0; f < F; ++f) {
        const float dx = cas.delta[2 * f], dy = cas.delta[2 * f + 1];
        const float u = s.a * dx - s.b * dy + shape[2 * cas.anchor[f]];
        const float v = s.b * dx + s.a * dy + shape[2 * cas.anchor[f] + 1];
        const double px = std::floor(static_cast<double>(box.x0) + static_cast<double>(u) * box.sx + 0.5);
        const double py = std::floor(static_cast<double>(box.y0) + static_cast<double>(v) * box.sy + 0.5);
        pix[f] = (px >= 0 && py >= 0 && px < W && py < H)
                     ? static_cast<float>(gray.ptr<uint8_t>(static_cast<int>(py))[static_cast<int>(px)])
                     : 0.f;
      }
      // All trees of a cascade read the same pixels: walk them all first (their splits
      // are contiguous and cached), then sum the leaves with prefetching.
      for (uint32_t t = 0; t < T; ++t) {
        const ErtSplit* sp = cas.splits + static_cast<size_t>(t) * S;
        uint32_t i = 0;
        // Branch-free descent: left child 2i+1 when the pixel difference exceeds the threshold.
        while (i < S) i = 2 * i + 2 - static_cast<uint32_t>(pix[sp[i].idx1] - pix[sp[i].idx2] > sp[i].thresh);
        leaf_of[t] = static_cast<uint16_t>(i - S);
      }
      const size_t leaf_stride = static_cast<size_t>(L);
      const size_t tree_leaves = S + 1;
      constexpr uint32_t kAhead = 8;
      for (uint32_t t = 0; t < T; ++t) {
        if (t + kAhead < T) {
          const auto* nxt = reinterpret_cast<const char*>(cas.leaves + ((t + kAhead) * tree_leaves + leaf_of[t + kAhead]) * leaf_stride);
          for (size_t off = 0; off < leaf_stride * 2; off += 64) __builtin_prefetch(nxt + off);
        }
        const size_t li = t * tree_leaves + leaf_of[t];
        const int16_t* leaf = cas.leaves + li * leaf_stride;
        const float scale = cas.scales[li];
        for (int k = 0; k < L; ++k) shape[k] += scale * static_cast<float>(leaf[k]);
      }
    }
    for (int p = 0; p < P; ++p)
      out[p] = {box.x0 + shape[2 * p] * box.sx, box.y0 + shape[2 * p + 1] * box.sy};
  }

 private:
  Status Index() {
    std::memcpy(&h_, base_, sizeof h_);
    if (std::memcmp(h_.magic, kErtMagic, 8) != 0) return InvalidInput(path_ + ": not a landmark model (.ert): bad magic");
    if (h_.num_points != kNumLandmarks)
      return InvalidInput(path_ + ": landmark model has " + std::to_string(h_.num_points) + " points, need 68");
    const size_t L = 2 * h_.num_points;
    const size_t need = sizeof(ErtHeader) + 4 * L +
                        static_cast<size_t>(h_.num_cascades) * h_.num_features * 12 +
                        static_cast<size_t>(h_.num_cascades) * h_.trees_per_cascade *
                            (h_.num_splits * 12 + (h_.num_splits + 1) * (4 + L * 2));
    if (need != size_) return InvalidInput(path_ + ": landmark model is " + std::to_string(size_) +
                                           " bytes, its header implies " + std::to_string(need));
    if (h_.num_features > kMaxFeatures || h_.trees_per_cascade > kMaxTrees || h_.num_splits > 0xfffe)
      return InvalidInput(path_ + ": landmark model is larger than supported");
    const char* p = static_cast<const char*>(base_) + sizeof(ErtHeader);
    initial_ = reinterpret_cast<const float*>(p);
    p += 4 * L;
    for (uint32_t c = 0; c < h_.num_cascades; ++c) {
      Cascade cas;
      cas.anchor = reinterpret_cast<const uint32_t*>(p);
      p += 4 * h_.num_features;
      cas.delta = reinterpret_cast<const float*>(p);
      p += 8 * h_.num_features;
      cas.splits = reinterpret_cast<const ErtSplit*>(p);
      p += 12 * static_cast<size_t>(h_.trees_per_cascade) * h_.num_splits;
      cas.scales = reinterpret_cast<const float*>(p);
      p += 4 * static_cast<size_t>(h_.trees_per_cascade) * (h_.num_splits + 1);
      cas.leaves = reinterpret_cast<const int16_t*>(p);
      p += 2 * static_cast<size_t>(h_.trees_per_cascade) * (h_.num_splits + 1) * L;
      // Validate indices once so that Fit never reads out of bounds.
      for (uint32_t f = 0; f < h_.num_features; ++f)
        if (cas.anchor[f] >= h_.num_points) return InvalidInput(path_ + ": corrupt anchor index");
      for (size_t k = 0; k < static_cast<size_t>(h_.trees_per_cascade) * h_.num_splits; ++k)
        if (cas.splits[k].idx1 >= h_.num_features || cas.splits[k].idx2 >= h_.num_features)
          return InvalidInput(path_ + ": corrupt split index");
      cascades_.push_back(cas);
    }
    mean_.resize(h_.num_points);
    for (uint32_t i = 0; i < h_.num_points; ++i) mean_[i] = {initial_[2 * i], initial_[2 * i + 1]};
    return Status::Ok();
  }

  void* base_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  ErtHeader h_{};
  const float* initial_ = nullptr;
  struct Cascade {
    const uint32_t* anchor;
    const float* delta;
    const ErtSplit* splits;
    const float* scales;
    const int16_t* leaves;
  };
  static constexpr uint32_t kMaxFeatures = 2048, kMaxTrees = 2048;
  std::vector<Cascade> cascades_;
  std::vector<cv::Point2f> mean_;
};

}  // namespace

Result<std::shared_ptr<const LandmarkModel>> LoadErtModel(const ErtModelOptions& options) {
  return ErtModel::Load(options.path);
}

namespace {
LandmarkBox BoxFromSimilarity(const Similarity& s) {
  // The unit square the mean shape lives in, mapped by s; the rotation is dropped (the
  // box is axis-aligned and the trees handle in-plane roll).
  const float scale = s.scale();
  const cv::Point2f c = s.Apply({0.5f, 0.5f});
  return {c.x - scale / 2, c.y - scale / 2, scale, scale};
}
}  // namespace

LandmarkBox BoxFromLandmarks(const LandmarkModel& model, const Landmarks& lm) {
  const auto m = model.MeanShape();
  return BoxFromSimilarity(FitSimilarity(m.data(), lm.data(), kNumLandmarks));
}

LandmarkBox BoxFromDetection(const LandmarkModel& model, const Detection& d) {
  if (!d.has_keypoints) return {d.box.x, d.box.y, d.box.width, d.box.height};
  const auto m = model.MeanShape();
  auto avg = [&](int a, int b) {
    cv::Point2f s(0, 0);
    for (int i = a; i <= b; ++i) s += m[i];
    return s * (1.f / static_cast<float>(b - a + 1));
  };
  // Key points 0/1 are the eyes; take them in image order (left in the image first), as
  // the mean shape's 36-41 (image left) and 42-47.
  cv::Point2f e0 = d.keypoints[0], e1 = d.keypoints[1];
  if (e0.x > e1.x) std::swap(e0, e1);
  const cv::Point2f from[] = {avg(36, 41), avg(42, 47), m[30], (m[62] + m[66]) * 0.5f};
  const cv::Point2f to[] = {e0, e1, d.keypoints[2], d.keypoints[3]};
  return BoxFromSimilarity(FitSimilarity(from, to, 4));
}

}  // namespace mimicry::face
