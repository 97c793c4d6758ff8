// The flat .ert layout of an ensemble-of-regression-trees landmark model (Kazemi &
// Sullivan 2014, as trained by dlib). Little-endian, 4-byte aligned, memory-mappable:
//
//   ErtHeader
//   float  initial_shape[2 * num_points]          (x0 y0 x1 y1 ..., in box-normalised units)
//   per cascade:
//     uint32   anchor[num_features]
//     float    delta[2 * num_features]
//     ErtSplit splits[trees_per_cascade][num_splits]
//     float    leaf_scale[trees_per_cascade][num_splits + 1]
//     int16    leaves[trees_per_cascade][num_splits + 1][2 * num_points]
//
// A leaf's value is leaves[..][k] * leaf_scale[..] (symmetric 16-bit quantisation per
// leaf: the error is below 1/65534 of the leaf's largest entry, ~1e-5 face widths summed
// over all trees). Inference is bound by reading one leaf per tree from memory, so
// 16 bits halve its cost. A cascade's splits are contiguous (90 KB for dlib's model: they
// stay in L2 while every tree is walked) so that inference can first find all leaves of a
// cascade and then sum them with prefetching.
#pragma once

#include <cstdint>

namespace mimicry::face {

inline constexpr char kErtMagic[8] = {'M', 'I', 'M', 'E', 'R', 'T', '0', '3'};

struct ErtHeader {
  char magic[8] = {'M', 'I', 'M', 'E', 'R', 'T', '0', '3'};
  uint32_t num_points = 0;
  uint32_t num_cascades = 0;
  uint32_t trees_per_cascade = 0;
  uint32_t num_splits = 0;  // per tree; a full tree of depth d has 2^d - 1
  uint32_t num_features = 0;  // feature pixels per cascade
  uint32_t reserved[3] = {0, 0, 0};
};
static_assert(sizeof(ErtHeader) == 40);

struct ErtSplit {
  uint32_t idx1;
  uint32_t idx2;
  float thresh;
};
static_assert(sizeof(ErtSplit) == 12);

}  // namespace mimicry::face
