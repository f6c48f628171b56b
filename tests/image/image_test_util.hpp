// Helpers for the image tests: reference decodes and generated inputs from image_reference.py, dcmdump.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/file_io.hpp"
#include "image/image_file.hpp"
#include "support/test_support.hpp"

namespace medcrypt::image::test {

// Exit status of image_reference.py when Python lacks a module it needs: the test skips.
inline constexpr int kSkipExit = 77;

struct ScriptRun {
  int exit_code = -1;
  std::string out;
};

// Runs tests/image/image_reference.py with already-quoted arguments under /usr/bin/python3.
ScriptRun run_reference_script(const std::string& arguments);

// Runs the script, skipping the calling test when Python modules are missing, failing it on other errors.
#define MEDCRYPT_RUN_REFERENCE(var, arguments)                                                             \
  const ::medcrypt::image::test::ScriptRun var = ::medcrypt::image::test::run_reference_script(arguments); \
  if (var.exit_code == ::medcrypt::image::test::kSkipExit) GTEST_SKIP() << "SKIPPED: " << var.out;         \
  ASSERT_EQ(var.exit_code, 0) << var.out

struct ReferencePixels {
  Bytes words;                       // little-endian, frame after frame, samples interleaved
  std::vector<std::uint64_t> shape;  // frames, rows, columns, samples
  std::string via;                   // which decoder made them
};

// Parses the JSON line `decode` prints and reads the words it wrote.
ReferencePixels parse_reference(const ScriptRun& run, const std::filesystem::path& raw);

Bytes read_bytes(const std::filesystem::path& path);
nlohmann::json read_json(const std::filesystem::path& path);
std::string quote(const std::filesystem::path& path);

// dcmdump's text for a file (exit status checked by the caller through `ok`).
std::string dcmdump(const std::filesystem::path& path, bool* ok = nullptr);

// Everything `fn` writes to the process's stderr (file descriptor 2) while it runs.
std::string capture_stderr(const std::function<void()>& fn);

ErrorCode error_code_from_name(const std::string& name);

// The geometry a generator's JSON gives ({"width", "height", "frames", "samples", "bits_allocated",
// "bits_stored", "is_signed", "photometric"}).
Geometry geometry_from_json(const nlohmann::json& json);

// An image of `geometry` filled with pseudo-random bytes from `seed`.
Image random_image(Geometry geometry, std::uint32_t seed);

// Whether a dcmdump text shows one of the uncompressed ("native") transfer syntaxes.
bool is_native_syntax(const std::string& dump);

// The files in `dir` whose names end with `extension`, sorted.
std::vector<std::filesystem::path> files_with_extension(const std::filesystem::path& dir,
                                                        const std::string& extension);

}  // namespace medcrypt::image::test
