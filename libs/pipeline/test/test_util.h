// Helpers shared by the pipeline tests: temporary folders, CSV reading, running the CLI.
#pragma once

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace mimicry::testing {

// Test media (../shared) and the built CLI.
inline const std::string kShared = MIMICRY_SHARED_DIR;
inline const std::string kReal = kShared + "/media/real/2015-10-15-15-14.avi";
inline const std::string kMulti = kShared + "/media/real/multi_face.avi";
inline const std::string kBin = std::string(MIMICRY_BIN_DIR) + "/mimicry";

// A minimal mimicry feature table (one face, 30 fps, success 1): frame k's 17 AU
// intensities are au(k, code); with sides, also AU12_r_L and AU12_r_R from sides(k).
inline void WriteAuTable(const std::string& path, int frames, const std::function<double(int, int)>& au,
                         const std::function<std::pair<double, double>(int)>& sides = {}) {
  static const int kCodes[] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45};
  std::ofstream f(path);
  f << "frame,face_id,timestamp,confidence,success";
  for (int code : kCodes) f << (code < 10 ? ",AU0" : ",AU") << code << "_r";
  f << (sides ? ",AU12_r_L,AU12_r_R\n" : "\n");
  for (int k = 0; k < frames; ++k) {
    f << k + 1 << ",0," << k / 30.0 << ",0.98,1";
    for (int code : kCodes) f << "," << au(k, code);
    if (sides) f << "," << sides(k).first << "," << sides(k).second;
    f << "\n";
  }
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mimicry_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

// A CSV with a header, as rows of text cells.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int Col(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  }
  const std::string& Cell(size_t r, const std::string& name) const { return rows[r][static_cast<size_t>(Col(name))]; }
  double Num(size_t r, const std::string& name) const {
    const std::string& c = Cell(r, name);
    return c.empty() ? std::nan("") : std::stod(c);
  }
};

inline Csv ReadCsv(const std::string& path) {
  Csv c;
  std::ifstream in(path);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) {
      // OpenFace separates with ", ".
      const size_t b = cell.find_first_not_of(' ');
      cells.push_back(b == std::string::npos ? std::string() : cell.substr(b));
    }
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (first) c.header = cells;
    else c.rows.push_back(cells);
    first = false;
  }
  return c;
}

// Runs a shell command; returns its stdout, and its exit code in *exit_code.
inline std::string Capture(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline std::string Slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= static_cast<double>(a.size());
  mb /= static_cast<double>(b.size());
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

inline double Sd(const std::vector<double>& a) {
  double m = 0, s = 0;
  for (double x : a) m += x;
  m /= static_cast<double>(a.size());
  for (double x : a) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(a.size()));
}

}  // namespace mimicry::testing
