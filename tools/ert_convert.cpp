// ert_convert IN.dat OUT.ert
// Reads a dlib shape_predictor (ensemble of regression trees, Kazemi & Sullivan 2014) and
// writes it in mimicry's flat .ert layout (see libs/face/include/mimicry/face/ert_format.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <dlib/image_processing.h>

#include "mimicry/face/ert_format.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ert_convert shape_predictor.dat out.ert\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << argv[1] << ": cannot open\n";
    return 3;
  }
  dlib::matrix<float, 0, 1> initial_shape;
  std::vector<std::vector<dlib::impl::regression_tree>> forests;
  std::vector<std::vector<unsigned long>> anchor_idx;
  std::vector<std::vector<dlib::vector<float, 2>>> deltas;
  try {
    int version = 0;
    dlib::deserialize(version, in);
    if (version != 1) throw dlib::serialization_error("unexpected shape_predictor version");
    dlib::deserialize(initial_shape, in);
    dlib::deserialize(forests, in);
    dlib::deserialize(anchor_idx, in);
    dlib::deserialize(deltas, in);
  } catch (const std::exception& e) {
    std::cerr << argv[1] << ": not a dlib shape_predictor: " << e.what() << "\n";
    return 3;
  }
  mimicry::face::ErtHeader h{};
  h.num_points = static_cast<uint32_t>(initial_shape.size() / 2);
  h.num_cascades = static_cast<uint32_t>(forests.size());
  h.trees_per_cascade = static_cast<uint32_t>(forests.empty() ? 0 : forests[0].size());
  h.num_splits = static_cast<uint32_t>(h.trees_per_cascade ? forests[0][0].splits.size() : 0);
  h.num_features = static_cast<uint32_t>(deltas.empty() ? 0 : deltas[0].size());
  for (size_t c = 0; c < forests.size(); ++c) {
    if (forests[c].size() != h.trees_per_cascade || deltas[c].size() != h.num_features ||
        anchor_idx[c].size() != h.num_features) {
      std::cerr << argv[1] << ": irregular cascade " << c << " (not supported)\n";
      return 3;
    }
    for (const auto& t : forests[c])
      if (t.splits.size() != h.num_splits || t.leaf_values.size() != h.num_splits + 1) {
        std::cerr << argv[1] << ": irregular tree in cascade " << c << "\n";
        return 3;
      }
  }
  // Written beside the target and renamed over it: processes that have the old model
  // memory-mapped (tests, a running extraction) keep reading the old file instead of
  // dying of SIGBUS when a rebuild rewrites it in place.
  const std::string tmp = std::string(argv[2]) + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  auto put = [&](const void* p, size_t n) { out.write(static_cast<const char*>(p), static_cast<std::streamsize>(n)); };
  put(&h, sizeof h);
  std::vector<float> shape(initial_shape.begin(), initial_shape.end());
  put(shape.data(), shape.size() * 4);
  for (size_t c = 0; c < forests.size(); ++c) {
    std::vector<uint32_t> a(anchor_idx[c].begin(), anchor_idx[c].end());
    put(a.data(), a.size() * 4);
    std::vector<float> d;
    for (const auto& v : deltas[c]) {
      d.push_back(v.x());
      d.push_back(v.y());
    }
    put(d.data(), d.size() * 4);
    for (const auto& t : forests[c])
      for (const auto& s : t.splits) {
        mimicry::face::ErtSplit es{static_cast<uint32_t>(s.idx1), static_cast<uint32_t>(s.idx2), s.thresh};
        put(&es, sizeof es);
      }
    std::vector<float> scales;
    std::vector<int16_t> q;
    for (const auto& t : forests[c])
      for (const auto& leaf : t.leaf_values) {
        float mx = 0;
        for (long k = 0; k < leaf.size(); ++k) mx = std::max(mx, std::abs(leaf(k)));
        const float scale = mx > 0 ? mx / 32767.f : 1.f;
        scales.push_back(scale);
        for (long k = 0; k < leaf.size(); ++k) q.push_back(static_cast<int16_t>(std::lround(leaf(k) / scale)));
      }
    put(scales.data(), scales.size() * 4);
    put(q.data(), q.size() * 2);
  }
  out.close();
  if (!out || std::rename(tmp.c_str(), argv[2]) != 0) {
    std::cerr << argv[2] << ": cannot write\n";
    std::remove(tmp.c_str());
    return 5;
  }
  std::printf("%s: %u points, %u cascades x %u trees (%u splits), %u features\n", argv[2], h.num_points,
              h.num_cascades, h.trees_per_cascade, h.num_splits, h.num_features);
  return 0;
}
