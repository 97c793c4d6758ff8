#include "mimicry/face/tracker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <tuple>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "similarity.h"

namespace mimicry::face {
namespace {

struct Track {
  int id = -1;
  Landmarks lm{};
  LandmarkBox box;
  float det_score = 0.f;  // last detector score, decays between detections
  int misses = 0;          // detector runs in a row without an overlapping detection
  int bad_shape = 0;       // frames in a row with an implausible shape
  float residual = 0.f;
  bool detected = false;
  bool suspect = false;    // changed size or shape since confirmed: check it now
  // At the last confirming detection: where the face was, how big, what it looked like.
  cv::Point2f confirmed_center;
  float confirmed_size = 0.f;
  Timestamp confirmed_at;
  cv::Mat appearance;
};

struct LostTrack {
  int id;
  cv::Point2f center;
  float size;
  Timestamp when;
  Timestamp confirmed_at;
  cv::Mat appearance;
};

// Hue-saturation histogram of the face box: a cheap appearance signature for telling
// faces apart when one comes back after a loss.
cv::Mat Appearance(const cv::Mat& bgr, const LandmarkBox& b) {
  cv::Rect r(cvRound(b.x0 + 0.2f * b.sx), cvRound(b.y0 + 0.2f * b.sy), cvRound(0.6f * b.sx), cvRound(0.6f * b.sy));
  r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (r.area() < 16) return {};
  cv::Mat hsv, hist;
  cv::cvtColor(bgr(r), hsv, cv::COLOR_BGR2HSV);
  const int channels[] = {0, 1};
  const int bins[] = {16, 8};
  const float hr[] = {0, 180}, sr[] = {0, 256};
  const float* ranges[] = {hr, sr};
  cv::calcHist(&hsv, 1, channels, cv::Mat(), hist, 2, bins, ranges);
  cv::normalize(hist, hist, 1, 0, cv::NORM_L1);
  return hist;
}

// Assignment of rows (tracks) to columns (detections) that first matches as many rows as
// possible and then has the lowest total cost; costs >= 1e29 forbid a pair. Exhaustive
// search: the numbers of unmatched tracks and detections are small (<= max_faces and a
// few); above 8 rows it falls back to greedy lowest-cost-first.
std::vector<int> SolveAssignment(const std::vector<std::vector<double>>& cost) {
  const size_t n = cost.size(), m = n ? cost[0].size() : 0;
  std::vector<int> best(n, -1), cur(n, -1);
  if (n > 8) {
    std::vector<std::tuple<double, size_t, size_t>> pairs;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j)
        if (cost[i][j] < 1e29) pairs.emplace_back(cost[i][j], i, j);
    std::sort(pairs.begin(), pairs.end());
    std::vector<bool> used(m, false);
    for (const auto& [c, i, j] : pairs)
      if (best[i] < 0 && !used[j]) {
        best[i] = static_cast<int>(j);
        used[j] = true;
      }
    return best;
  }
  int best_count = -1;
  double best_cost = 0;
  std::vector<bool> used(m, false);
  std::function<void(size_t, int, double)> go = [&](size_t i, int count, double total) {
    if (i == n) {
      if (count > best_count || (count == best_count && total < best_cost)) {
        best_count = count;
        best_cost = total;
        best = cur;
      }
      return;
    }
    cur[i] = -1;
    go(i + 1, count, total);
    for (size_t j = 0; j < m; ++j) {
      if (used[j] || cost[i][j] >= 1e29) continue;
      used[j] = true;
      cur[i] = static_cast<int>(j);
      go(i + 1, count + 1, total + cost[i][j]);
      used[j] = false;
      cur[i] = -1;
    }
  };
  go(0, 0, 0.0);
  return best;
}

// Affine-fit residual (ShapeResidual) above which a shape is not a face.
constexpr float kBadResidual = 0.2f;

cv::Point2f Center(const LandmarkBox& b) { return {b.x0 + b.sx / 2, b.y0 + b.sy / 2}; }

}  // namespace

float ShapeResidual(const LandmarkModel& model, const Landmarks& lm) {
  // Least-squares 2D affine fit of the mean shape to the landmarks. An affine map absorbs
  // most of the foreshortening of head turns and nods, so the residual measures how
  // face-like the shape is rather than how frontal.
  const auto mean = model.MeanShape();
  cv::Matx33d AtA = cv::Matx33d::zeros();
  cv::Vec3d Atx(0, 0, 0), Aty(0, 0, 0);
  for (int i = 0; i < kNumLandmarks; ++i) {
    const cv::Vec3d a(mean[i].x, mean[i].y, 1.0);
    AtA += a * a.t();
    Atx += a * static_cast<double>(lm[i].x);
    Aty += a * static_cast<double>(lm[i].y);
  }
  const cv::Matx33d inv = AtA.inv(cv::DECOMP_CHOLESKY);
  const cv::Vec3d px = inv * Atx, py = inv * Aty;
  const double det = std::abs(px[0] * py[1] - px[1] * py[0]);
  if (!(det > 0)) return 1.f;
  double se = 0;
  for (int i = 0; i < kNumLandmarks; ++i) {
    const double ex = px[0] * mean[i].x + px[1] * mean[i].y + px[2] - lm[i].x;
    const double ey = py[0] * mean[i].x + py[1] * mean[i].y + py[2] - lm[i].y;
    se += ex * ex + ey * ey;
  }
  return static_cast<float>(std::sqrt(se / kNumLandmarks) / std::sqrt(det));
}

struct FaceTracker::Impl {
  TrackerOptions opt;
  std::unique_ptr<FaceDetector> detector;
  std::shared_ptr<const LandmarkModel> model;
  std::vector<Track> tracks;
  std::vector<LostTrack> lost;
  int next_id = 0;
  int64_t frame_index = 0;
  bool detect_next = true;  // the first frame is always searched
  int64_t since_detect = 0;
  int64_t detector_runs = 0;
  cv::Mat gray;
  LandmarkBox BoxForDetection(const Detection& d) const { return BoxFromDetection(*model, d); }
  LandmarkBox BoxForLandmarks(const Landmarks& lm) const { return BoxFromLandmarks(*model, lm); }

  void Fit(Track& t, const LandmarkBox& box) {
    t.box = box;
    model->Fit(gray, box, t.lm);
    t.residual = ShapeResidual(*model, t.lm);
  }

  void FollowTrack(Track& t) const {
    t.detected = false;
    t.box = BoxForLandmarks(t.lm);
    model->Fit(gray, t.box, t.lm);
    t.residual = ShapeResidual(*model, t.lm);
  }

  bool OutOfFrame(const Track& t) const {
    const cv::Point2f c = Center(BoxForLandmarks(t.lm));
    return c.x < 0 || c.y < 0 || c.x >= gray.cols || c.y >= gray.rows;
  }

  // Drops a track, remembering where it was last confirmed (a drifting track's last
  // landmarks are not where the face was).
  void Drop(size_t i, Timestamp pts) {
    const Track& t = tracks[i];
    lost.push_back({t.id, t.confirmed_center, t.confirmed_size, pts, t.confirmed_at, t.appearance});
    tracks.erase(tracks.begin() + static_cast<long>(i));
  }

  void Confirm(Track& t, float score, const cv::Mat& bgr, Timestamp pts) {
    t.confirmed_at = pts;
    t.det_score = score;
    t.misses = 0;
    t.detected = true;
    const LandmarkBox b = BoxForLandmarks(t.lm);
    t.confirmed_center = Center(b);
    t.confirmed_size = b.sx;
    t.appearance = Appearance(bgr, b);
  }

  // How well a detection continues a face last confirmed `dt` ago at (center, size) with
  // `appearance`: infinite unless of similar size (factor 1.6), within reach (3 face
  // widths plus 6 per second since, at most 8: people stand up, walk and lean; on
  // multi_face.avi a man rising from a crouch moves 3.5 widths in 0.3 s) and alike
  // (Bhattacharyya distance of hue-saturation histograms <= 0.8); lower is better.
  static double ReidCost(cv::Point2f center, float size, const cv::Mat& appearance, Timestamp dt,
                         const LandmarkBox& b, const cv::Mat& candidate) {
    const double d = cv::norm(center - Center(b)) / std::max(size, 1.f);
    const double reach = std::min(8.0, 3.0 + 6.0 * std::max(0.0, dt.seconds()));
    const float ratio = b.sx / std::max(size, 1.f);
    if (d > reach || ratio < 1 / 1.6f || ratio > 1.6f) return 1e30;
    double dist = 0.5;  // no appearance on record: neutral
    if (!appearance.empty() && !candidate.empty())
      dist = cv::compareHist(appearance, candidate, cv::HISTCMP_BHATTACHARYYA);
    if (dist > 0.8) return 1e30;
    return d / reach + dist;
  }

  // A lost face that comes back gets its ID (the lowest ReidCost among the faces lost
  // within reid_seconds); otherwise a new ID.
  int ReidOrNew(const LandmarkBox& b, const cv::Mat& appearance, Timestamp pts) {
    int best = -1;
    double best_cost = 1e29;
    for (size_t i = 0; i < lost.size(); ++i) {
      const double cost =
          ReidCost(lost[i].center, lost[i].size, lost[i].appearance, pts - lost[i].confirmed_at, b, appearance);
      if (cost < best_cost) {
        best = static_cast<int>(i);
        best_cost = cost;
      }
    }
    if (best >= 0) {
      const int id = lost[static_cast<size_t>(best)].id;
      lost.erase(lost.begin() + best);
      return id;
    }
    return next_id++;
  }

  Status RunDetector(const cv::Mat& bgr, Timestamp pts) {
    auto dets = detector->Detect(bgr);
    if (!dets.ok()) return dets.status();
    ++detector_runs;
    since_detect = 0;
    std::vector<LandmarkBox> boxes;
    std::vector<float> scores;
    for (const auto& d : *dets) {
      LandmarkBox b = BoxForDetection(d);
      if (b.sx < opt.min_face_px) continue;
      boxes.push_back(b);
      scores.push_back(d.score);
    }
    // Greedy assignment of detections to tracks by IoU, best pairs first.
    struct Pair {
      float iou;
      size_t t, d;
    };
    std::vector<Pair> pairs;
    for (size_t t = 0; t < tracks.size(); ++t) {
      const cv::Rect2f tb = BoxForLandmarks(tracks[t].lm).rect();
      for (size_t d = 0; d < boxes.size(); ++d) {
        const float iou = IoU(tb, boxes[d].rect());
        if (iou >= 0.3f) pairs.push_back({iou, t, d});
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<bool> t_used(tracks.size(), false), d_used(boxes.size(), false);
    for (const auto& p : pairs) {
      if (t_used[p.t] || d_used[p.d]) continue;
      t_used[p.t] = d_used[p.d] = true;
      // A track that drifted off its face is re-seeded from the detection.
      if (tracks[p.t].suspect) Fit(tracks[p.t], boxes[p.d]);
      tracks[p.t].suspect = false;
      Confirm(tracks[p.t], scores[p.d], bgr, pts);
    }
    // Second stage, for faces that moved fast or whose track slid off: unmatched tracks
    // take unmatched confident detections of similar size within reach of where each track was last
    // confirmed that look alike (ReidCost), and are re-seeded there.
    std::vector<size_t> open_t, open_d;
    for (size_t t = 0; t < tracks.size(); ++t)
      if (!t_used[t]) open_t.push_back(t);
    // Moving a track far needs a confident detection (>= new_face_score); weak ones only
    // confirm tracks they overlap.
    for (size_t d = 0; d < boxes.size(); ++d)
      if (!d_used[d] && scores[d] >= opt.new_face_score) open_d.push_back(d);
    if (!open_t.empty() && !open_d.empty()) {
      std::vector<cv::Mat> looks(open_d.size());
      for (size_t j = 0; j < open_d.size(); ++j) looks[j] = Appearance(bgr, boxes[open_d[j]]);
      std::vector<std::vector<double>> cost(open_t.size(), std::vector<double>(open_d.size()));
      for (size_t i = 0; i < open_t.size(); ++i) {
        const Track& tr = tracks[open_t[i]];
        for (size_t j = 0; j < open_d.size(); ++j)
          cost[i][j] = ReidCost(tr.confirmed_center, tr.confirmed_size, tr.appearance, pts - tr.confirmed_at,
                                boxes[open_d[j]], looks[j]);
      }
      // Jointly, not track by track: when two people move at once, the best pairing of
      // all of them is not each one's nearest.
      const std::vector<int> match = SolveAssignment(cost);
      for (size_t i = 0; i < open_t.size(); ++i) {
        if (match[i] < 0) continue;
        const size_t t = open_t[i], d = open_d[static_cast<size_t>(match[i])];
        t_used[t] = d_used[d] = true;
        Fit(tracks[t], boxes[d]);
        tracks[t].suspect = false;
        Confirm(tracks[t], scores[d], bgr, pts);
      }
    }
    // A detection overlapping any track (even one already matched) is not a new face.
    for (size_t d = 0; d < boxes.size(); ++d)
      for (const auto& t : tracks)
        if (IoU(BoxForLandmarks(t.lm).rect(), boxes[d].rect()) >= 0.3f) d_used[d] = true;
    for (size_t t = tracks.size(); t-- > 0;) {
      if (t_used[t]) continue;
      tracks[t].det_score *= 0.5f;  // unconfirmed: trust halves at once
      if (++tracks[t].misses >= opt.max_detector_misses) Drop(t, pts);
    }
    // New faces, strongest first, while there is room.
    std::vector<size_t> order(boxes.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    for (size_t d : order) {
      if (d_used[d] || scores[d] < opt.new_face_score || static_cast<int>(tracks.size()) >= opt.max_faces) continue;
      Track t;
      Fit(t, boxes[d]);
      Confirm(t, scores[d], bgr, pts);
      t.id = ReidOrNew(boxes[d], t.appearance, pts);
      tracks.push_back(t);
    }
    return Status::Ok();
  }

  void PruneLost(Timestamp pts) {
    const int64_t limit = static_cast<int64_t>(opt.reid_seconds * 1e6);
    lost.erase(std::remove_if(lost.begin(), lost.end(), [&](const LostTrack& l) { return (pts - l.when).us > limit; }),
               lost.end());
  }

  Result<std::vector<FaceObservation>> Process(const cv::Mat& bgr, const cv::Mat& gray_in, Timestamp pts) {
    const bool detect = detect_next;
    assert((!detect || !bgr.empty()) && "the detector runs on this frame: bgr is required (see NeedsColor)");
    if (gray_in.empty()) {
      CV_Assert(bgr.type() == CV_8UC3);
      cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    } else {
      CV_Assert(gray_in.type() == CV_8UC1 && (bgr.empty() || gray_in.size() == bgr.size()));
      gray = gray_in;
    }
    PruneLost(pts);
    // 1. Follow every track by its landmarks (in parallel when there are several: the
    //    model is shared and read-only, each track's state its own).
    cv::parallel_for_(cv::Range(0, static_cast<int>(tracks.size())), [&](const cv::Range& range) {
      for (int k = range.start; k < range.end; ++k) FollowTrack(tracks[static_cast<size_t>(k)]);
    });
    for (auto& t : tracks) {
      t.bad_shape = t.residual > kBadResidual ? t.bad_shape + 1 : 0;
      t.det_score *= 0.998f;  // trust in a track fades slowly between detector runs
      // Landmark tracking of small, fast faces can slide off the face; it shows as a
      // change of scale or a poorer shape. Such a track asks for a detector run now.
      const float ratio = t.box.sx / std::max(t.confirmed_size, 1.f);
      if (ratio < 0.75f || ratio > 1.33f || t.residual > 0.15f) t.suspect = true;
    }
    for (size_t i = tracks.size(); i-- > 0;)
      if (tracks[i].bad_shape >= 3 || OutOfFrame(tracks[i]) || tracks[i].box.sx < opt.min_face_px * 0.75f)
        Drop(i, pts);
    // 2. Two tracks on one face (they converge after a crossing): keep the older ID.
    std::vector<bool> dup(tracks.size(), false);
    for (size_t i = 0; i < tracks.size(); ++i)
      for (size_t j = i + 1; j < tracks.size(); ++j)
        if (!dup[i] && !dup[j] && IoU(tracks[i].box.rect(), tracks[j].box.rect()) > 0.5f)
          dup[tracks[i].id < tracks[j].id ? j : i] = true;
    for (size_t i = tracks.size(); i-- > 0;)
      if (dup[i]) tracks.erase(tracks.begin() + static_cast<long>(i));
    // 3. Detect when the previous frame decided so (on schedule, sooner when nothing is
    //    tracked or a track looks suspect), then decide for the next frame.
    ++since_detect;
    if (detect) MIMICRY_RETURN_IF_ERROR(RunDetector(bgr, pts));
    const int64_t every = tracks.empty() ? std::max(1, opt.detect_every / 4) : opt.detect_every;
    const bool suspect = std::any_of(tracks.begin(), tracks.end(), [&](const Track& t) {
      return t.suspect && since_detect >= std::max(1, opt.detect_every / 6) - 1;
    });
    detect_next = since_detect + 1 >= every || suspect;
    ++frame_index;
    std::sort(tracks.begin(), tracks.end(), [](const Track& a, const Track& b) { return a.id < b.id; });
    std::vector<FaceObservation> out;
    out.reserve(tracks.size());
    for (const auto& t : tracks) {
      FaceObservation o;
      o.face_id = t.id;
      o.landmarks = t.lm;
      o.box = t.box;
      o.detected = t.detected;
      // Shape term: 1 for residuals up to 0.12 (faces up to ~45 degrees of yaw measured
      // 0.02-0.10 on the shared real clips), falling to 0 at kBadResidual.
      const float shape = std::clamp((kBadResidual - t.residual) / (kBadResidual - 0.12f), 0.f, 1.f);
      o.confidence = std::clamp(t.det_score, 0.f, 1.f) * shape;
      o.success = o.confidence >= opt.min_confidence && !t.suspect;
      out.push_back(o);
    }
    return out;
  }
};

Result<std::unique_ptr<FaceTracker>> FaceTracker::Create(const TrackerOptions& o, std::unique_ptr<FaceDetector> det,
                                                         std::shared_ptr<const LandmarkModel> lm) {
  if (o.max_faces < 1) return InvalidArgument("--max-faces must be >= 1");
  if (o.detect_every < 1) return InvalidArgument("--detect-every must be >= 1");
  if (o.max_detector_misses < 1) return InvalidArgument("tracker: max_detector_misses must be >= 1");
  if (o.reid_seconds < 0) return InvalidArgument("--reid-seconds must be >= 0");
  if (!(o.new_face_score > 0 && o.new_face_score < 1) || !(o.confirm_score > 0 && o.confirm_score < 1))
    return InvalidArgument("tracker: detection scores must be in (0, 1)");
  if (!(o.min_confidence >= 0 && o.min_confidence <= 1)) return InvalidArgument("--min-confidence must be in [0, 1]");
  assert(det && lm);
  auto impl = std::make_unique<Impl>();
  impl->opt = o;
  impl->detector = std::move(det);
  impl->model = std::move(lm);
  return std::unique_ptr<FaceTracker>(new FaceTracker(std::move(impl)));
}

FaceTracker::FaceTracker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceTracker::~FaceTracker() = default;
Result<std::vector<FaceObservation>> FaceTracker::Process(const cv::Mat& bgr, const cv::Mat& gray, Timestamp pts) {
  return impl_->Process(bgr, gray, pts);
}
int64_t FaceTracker::detector_runs() const { return impl_->detector_runs; }
bool FaceTracker::NeedsColor() const { return impl_->detect_next; }

}  // namespace mimicry::face
