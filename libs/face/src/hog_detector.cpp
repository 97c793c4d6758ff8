// dlib's HOG detector, kept in its own translation unit: dlib's headers are heavy.
#include "hog_detector.h"

#include <cmath>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>

namespace mimicry::face {
namespace {

class HogDetector final : public FaceDetector {
 public:
  explicit HogDetector(float min_score) : det_(dlib::get_frontal_face_detector()), min_score_(min_score) {}
  Result<std::vector<Detection>> Detect(const cv::Mat& bgr) override {
    cv::cvtColor(bgr, gray_, cv::COLOR_BGR2GRAY);
    dlib::cv_image<unsigned char> img(gray_);
    std::vector<dlib::rect_detection> found;
    // Threshold -1 so that scores below dlib's own 0 margin can be mapped and filtered.
    det_(img, found, -1.0);
    std::vector<Detection> out;
    for (const auto& f : found) {
      Detection d;
      d.score = 1.f / (1.f + std::exp(-2.f * static_cast<float>(f.detection_confidence)));
      if (d.score < min_score_) continue;
      const auto& r = f.rect;
      d.box = cv::Rect2f(static_cast<float>(r.left()), static_cast<float>(r.top()),
                         static_cast<float>(r.right() - r.left()), static_cast<float>(r.bottom() - r.top()));
      out.push_back(d);
    }
    return out;
  }

 private:
  dlib::frontal_face_detector det_;
  float min_score_;
  cv::Mat gray_;
};

class HogModel final : public DetectorModel {
 public:
  explicit HogModel(float min_score) : min_score_(min_score) {}
  std::string Describe() const override { return "dlib frontal_face_detector (HOG + linear SVM), dlib 19.24"; }
  Result<std::unique_ptr<FaceDetector>> CreateDetector() const override {
    return std::unique_ptr<FaceDetector>(new HogDetector(min_score_));
  }

 private:
  float min_score_;
};

}  // namespace

Result<std::shared_ptr<const DetectorModel>> LoadHogDetectorModel(const DetectorOptions& o) {
  return std::shared_ptr<const DetectorModel>(std::make_shared<HogModel>(o.min_score));
}

}  // namespace mimicry::face
