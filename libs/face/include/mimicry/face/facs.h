// FACS action units shared by the face stage (measurement) and synthesis (rendering):
// OpenFace's 17 AU codes and one displacement field per AU, so that what synth renders
// and what extract measures use the same definition of intensity 5.
#pragma once

#include <array>
#include <span>

#include "mimicry/schema/vocabulary.h"

namespace mimicry::face {

// The 17 action units, in OpenFace 2.0's order (the vocabulary's; schema/vocabulary.h).
using schema::AuIndex;
using schema::kAuCodes;
using schema::kNumAus;

// Displacement of one landmark at AU intensity 5 (FACS "E", maximum), in millimetres of
// the generic face (face frame: x towards the image right, y down; biocular width 90 mm),
// after FACS's descriptions of appearance changes. Intensity scales it linearly.
// AU45 (blink) is not a fixed field: the upper lids travel 90% of the way to the lower lids.
struct AuMove {
  int au, point;
  float dx, dy;
};

inline constexpr AuMove kAuFields[] = {
    // AU1 inner brow raiser: inner brows up.
    {1, 21, 0, -4.5f}, {1, 22, 0, -4.5f}, {1, 20, 0, -3}, {1, 23, 0, -3}, {1, 19, 0, -1.5f}, {1, 24, 0, -1.5f},
    // AU2 outer brow raiser: outer brows up.
    {2, 17, 0, -4.5f}, {2, 26, 0, -4.5f}, {2, 18, 0, -3.5f}, {2, 25, 0, -3.5f}, {2, 19, 0, -2}, {2, 24, 0, -2},
    // AU4 brow lowerer: brows down and drawn together.
    {4, 21, 2, 3.5f}, {4, 22, -2, 3.5f}, {4, 20, 1.5f, 3}, {4, 23, -1.5f, 3}, {4, 19, 0.5f, 2.5f}, {4, 24, -0.5f, 2.5f},
    {4, 18, 0, 1.5f}, {4, 25, 0, 1.5f},
    // AU5 upper lid raiser.
    {5, 37, 0, -1.5f}, {5, 38, 0, -1.5f}, {5, 43, 0, -1.5f}, {5, 44, 0, -1.5f},
    // AU6 cheek raiser: lower lids and eye corners pushed up.
    {6, 40, 0, -1.5f}, {6, 41, 0, -1.5f}, {6, 46, 0, -1.5f}, {6, 47, 0, -1.5f}, {6, 36, 0, -0.8f}, {6, 45, 0, -0.8f},
    {6, 1, 0, -1.5f}, {6, 15, 0, -1.5f},
    // AU7 lid tightener: lower lids up, upper lids slightly down.
    {7, 40, 0, -1.2f}, {7, 41, 0, -1.2f}, {7, 46, 0, -1.2f}, {7, 47, 0, -1.2f}, {7, 37, 0, 0.5f}, {7, 38, 0, 0.5f},
    {7, 43, 0, 0.5f}, {7, 44, 0, 0.5f},
    // AU9 nose wrinkler: nostrils and upper lip up, inner brows down.
    {9, 31, 0, -2}, {9, 32, 0, -2}, {9, 33, 0, -1.5f}, {9, 34, 0, -2}, {9, 35, 0, -2}, {9, 21, 0, 1.5f}, {9, 22, 0, 1.5f},
    {9, 50, 0, -1}, {9, 51, 0, -1}, {9, 52, 0, -1},
    // AU10 upper lip raiser.
    {10, 49, 0, -1.5f}, {10, 50, 0, -2.5f}, {10, 51, 0, -2.5f}, {10, 52, 0, -2.5f}, {10, 53, 0, -1.5f},
    {10, 61, 0, -2}, {10, 62, 0, -2}, {10, 63, 0, -2},
    // AU12 lip corner puller: corners up and out (a broad smile moves them ~6 mm each way).
    {12, 48, -6, -5}, {12, 54, 6, -5}, {12, 49, -2.5f, -2.5f}, {12, 53, 2.5f, -2.5f}, {12, 59, -2.5f, -2},
    {12, 55, 2.5f, -2}, {12, 60, -5, -4}, {12, 64, 5, -4},
    // AU14 dimpler: corners tightened inwards and slightly up.
    {14, 48, 1.5f, -0.5f}, {14, 54, -1.5f, -0.5f}, {14, 60, 1, -0.5f}, {14, 64, -1, -0.5f},
    // AU15 lip corner depressor.
    {15, 48, -0.5f, 3}, {15, 54, 0.5f, 3}, {15, 59, 0, 1.5f}, {15, 55, 0, 1.5f}, {15, 60, 0, 2.5f}, {15, 64, 0, 2.5f},
    // AU17 chin raiser: chin and lower lip up.
    {17, 7, 0, -2}, {17, 8, 0, -2.5f}, {17, 9, 0, -2}, {17, 56, 0, -2}, {17, 57, 0, -2.5f}, {17, 58, 0, -2},
    {17, 65, 0, -1}, {17, 66, 0, -1}, {17, 67, 0, -1},
    // AU20 lip stretcher: corners out, slightly down.
    {20, 48, -3.5f, 0.8f}, {20, 54, 3.5f, 0.8f}, {20, 60, -3, 0.5f}, {20, 64, 3, 0.5f},
    // AU23 lip tightener: lips narrowed and thinned.
    {23, 48, 1.2f, 0}, {23, 54, -1.2f, 0}, {23, 50, 0, 0.8f}, {23, 51, 0, 0.8f}, {23, 52, 0, 0.8f}, {23, 56, 0, -0.8f},
    {23, 57, 0, -0.8f}, {23, 58, 0, -0.8f},
    // AU25 lips part: lower lip down (an 8-9 mm gap at intensity 5).
    {25, 65, 0, 7}, {25, 66, 0, 8}, {25, 67, 0, 7}, {25, 56, 0, 7}, {25, 57, 0, 8}, {25, 58, 0, 7},
    {25, 61, 0, -0.8f}, {25, 62, 0, -0.8f}, {25, 63, 0, -0.8f},
    // AU26 jaw drop: chin and jaw down; the lips stay together (FACS codes parted lips as
    // AU25 on top: a talking mouth is 25+26), so the lower vermilion stretches a little
    // and the inner lip gap does not open.
    {26, 8, 0, 9}, {26, 7, 0, 8}, {26, 9, 0, 8}, {26, 6, 0, 6}, {26, 10, 0, 6}, {26, 5, 0, 3.5f}, {26, 11, 0, 3.5f},
    {26, 4, 0, 1.5f}, {26, 12, 0, 1.5f}, {26, 55, 0, 2}, {26, 56, 0, 2.5f}, {26, 57, 0, 2.5f}, {26, 58, 0, 2.5f},
    {26, 59, 0, 2},
};

// Fraction of the lid opening that AU45 closes at intensity 5.
inline constexpr float kBlinkClosure = 0.9f;

}  // namespace mimicry::face
