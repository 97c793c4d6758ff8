// The data vocabulary: the one place that names what mimicry measures. Every stage that
// needs an AU code, a side, a region, an emotion or a gesture uses these (face measures
// them, synth renders them, sync and micro analyse them, the tables name their columns by
// them); none keeps a list of its own.
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace mimicry::schema {

// The 17 action units, in OpenFace 2.0's order (columns AU01_r .. AU45_r).
inline constexpr std::array<int, 17> kAuCodes = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};
inline constexpr int kNumAus = static_cast<int>(kAuCodes.size());

// Index of AU `code` in kAuCodes, or -1.
constexpr int AuIndex(int code) {
  for (int i = 0; i < kNumAus; ++i)
    if (kAuCodes[static_cast<size_t>(i)] == code) return i;
  return -1;
}

// "AU01", "AU12", ... for a code (two digits, as OpenFace names its columns).
std::string AuName(int code);

// The action units measured per side of the face (the subject's own left and right), for
// asymmetric expressions (contempt: AU12/AU14 on one side). Columns AUxx_r_L, AUxx_r_R.
inline constexpr std::array<int, 6> kSidedAus = {1, 2, 6, 12, 14, 15};
inline constexpr std::array<const char*, 2> kSideSuffixes = {"L", "R"};

// Face regions of the appearance change (subject's own right/left), in this order;
// extract writes them as mot_<name>, the micro-expression spotter reports them by name.
inline constexpr std::array<const char*, 8> kRegionNames = {"brow_r", "brow_l", "glabella", "eye_r",
                                                            "eye_l",  "nose",   "mouth",    "chin"};
inline constexpr size_t kNumRegions = kRegionNames.size();

// Basic emotions scored from the AUs (EMFACS-based prototypes), in this order.
inline constexpr std::array<const char*, 7> kEmotionNames = {"happiness", "sadness", "surprise", "fear",
                                                             "anger",     "disgust", "contempt"};

// Head gestures from head-pose velocity, in this order.
inline constexpr std::array<const char*, 2> kGestureNames = {"head_nod", "head_shake"};

// Facial actions: groups of AUs that make one expression event, each with its affect class,
// in priority order (an expression's defining action is the first of its strong actions:
// a smile with an equally strong cheek raise is a smile). Strict mimicry answers an action
// with the same action, broad mimicry with another action of the same affect class
// (docs/analyze.md). The last, "movement", is not facial: a rise of a non-facial series
// (motion energy, an MEA channel), affect class "movement".
struct Action {
  const char* name;
  std::array<int, 2> aus;  // AU codes; 0 = unused slot
  const char* affect;      // one of kAffectClasses, or "movement"
};
inline constexpr std::array<Action, 13> kActions = {{
    {"smile", {12, 0}, "positive"},
    {"brow_lower", {4, 0}, "negative"},
    {"lip_corner_depress", {15, 0}, "negative"},
    {"brow_raise", {1, 2}, "surprise"},
    {"cheek_raise", {6, 0}, "positive"},
    {"nose_wrinkle", {9, 10}, "negative"},
    {"lip_press", {23, 0}, "negative"},
    {"chin_raise", {17, 0}, "negative"},
    {"lip_stretch", {20, 0}, "negative"},
    {"dimpler", {14, 0}, "negative"},
    {"eye_widen", {5, 0}, "surprise"},
    {"mouth_open", {25, 26}, "surprise"},
    {"movement", {0, 0}, "movement"},
}};
// The facial affect classes, in this order (analyze's affect_<class> channels).
inline constexpr std::array<const char*, 3> kAffectClasses = {"positive", "negative", "surprise"};

// Whole-body and head motion energy (percent of a region's pixels that changed).
inline constexpr std::array<const char*, 3> kMotionEnergyNames = {"me_head", "me_body", "me_total"};

}  // namespace mimicry::schema
