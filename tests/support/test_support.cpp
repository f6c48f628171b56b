#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>

namespace medcrypt::test {

std::filesystem::path shared_data() {
  std::filesystem::path p = MEDCRYPT_SHARED_DATA;
  if (const char* env = std::getenv("MEDCRYPT_SHARED_DATA")) p = env;
  std::error_code ec;
  if (!std::filesystem::is_directory(p / "dicom", ec)) return {};
  return std::filesystem::canonical(p, ec);
}

std::vector<std::filesystem::path> shared_images() {
  std::vector<std::filesystem::path> out;
  auto root = shared_data();
  if (root.empty()) return out;
  for (const char* sub : {"dicom", "png"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / sub)) {
      if (!entry.is_regular_file()) continue;
      auto name = entry.path().filename().string();
      if (name == "MR_truncated.dcm") continue;  // deliberately malformed (MANIFEST)
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ScratchDir::ScratchDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("medcrypt-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ProcessResult run_command(const std::string& command) {
  ProcessResult result;
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string shell_quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string system_python() { return MEDCRYPT_PYTHON[0] ? MEDCRYPT_PYTHON : "/usr/bin/python3"; }

ProcessResult run_medcrypt(const std::string& args) { return run_command(shell_quote(MEDCRYPT_CLI) + " " + args); }

ProcessResult run_medcrypt_with_torch(const std::string& args) {
  return run_command("ASAN_OPTIONS=detect_leaks=0 " + shell_quote(MEDCRYPT_CLI) + " " + args);
}

std::string quote(const std::filesystem::path& path) { return shell_quote(path.string()); }

std::set<std::string> json_keys(const nlohmann::json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

void expect_one_line_failure(const ProcessResult& r, const std::string& says) {
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(says), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

}  // namespace medcrypt::test
