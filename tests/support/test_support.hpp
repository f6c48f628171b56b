// Helpers shared by the tests: the shared data folder, scratch directories, running processes.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medcrypt::test {

// ../shared/data beside the checkout, or empty if it is absent (a user's clone).
std::filesystem::path shared_data();

// Calls GTEST_SKIP() with a visible message when ../shared/data is absent; use at the top of a test.
#define MEDCRYPT_REQUIRE_SHARED_DATA()                                                       \
  do {                                                                                      \
    if (::medcrypt::test::shared_data().empty())                                            \
      GTEST_SKIP() << "SKIPPED: ../shared/data is absent; this test needs the shared images"; \
  } while (0)

// Every readable image under ../shared/data (DICOM, PNG, JPEG), skipping train/ and files the MANIFEST
// marks as deliberately malformed.
std::vector<std::filesystem::path> shared_images();

// A fresh directory under the system temp folder, removed when the object goes away.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs a shell command line and captures its output and exit status.
ProcessResult run_command(const std::string& command);

// Quotes one argument for /bin/sh.
std::string shell_quote(const std::string& arg);

// /usr/bin/python3 (Debian's, with numpy, skimage, pydicom and cryptography).
std::string system_python();

// Runs the medcrypt CLI under test with an argument string (already quoted where needed).
ProcessResult run_medcrypt(const std::string& args);
// The same for a run that loads libtorch (ae-aes, the networks): under ASan without the leak scan at exit,
// which libtorch's OpenMP threads crash (LeakSanitizer's fatal error, exit 1).
ProcessResult run_medcrypt_with_torch(const std::string& args);

// A failed run that says `says` in its one line of output (the CLI's error line) with a non-zero exit.
void expect_one_line_failure(const ProcessResult& r, const std::string& says);

// Quotes a path for /bin/sh.
std::string quote(const std::filesystem::path& path);

// The keys of a JSON object, for checking an output's exact shape.
std::set<std::string> json_keys(const nlohmann::json& object);

}  // namespace medcrypt::test
