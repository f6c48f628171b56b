#include "image_test_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace medcrypt::image::test {

using medcrypt::test::run_command;
using medcrypt::test::shell_quote;

std::string quote(const std::filesystem::path& path) { return shell_quote(path.string()); }

ScriptRun run_reference_script(const std::string& arguments) {
  const std::filesystem::path script =
      std::filesystem::path(MEDCRYPT_SOURCE_DIR) / "tests/image/image_reference.py";
  auto result =
      run_command(shell_quote(medcrypt::test::system_python()) + " " + quote(script) + " " + arguments);
  return {result.exit_code, result.out};
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

ReferencePixels parse_reference(const ScriptRun& run, const std::filesystem::path& raw) {
  // stdout and stderr arrive together; the JSON is the last line that starts with '{'.
  std::istringstream lines(run.out);
  std::string line;
  std::string json_line;
  while (std::getline(lines, line)) {
    if (line.starts_with('{')) json_line = line;
  }
  const auto json = nlohmann::json::parse(json_line);
  ReferencePixels reference;
  reference.words = read_bytes(raw);
  reference.shape = json.at("shape").get<std::vector<std::uint64_t>>();
  reference.via = json.at("via").get<std::string>();
  return reference;
}

std::string dcmdump(const std::filesystem::path& path, bool* ok) {
  auto result = run_command("dcmdump " + quote(path));
  if (ok != nullptr) *ok = result.exit_code == 0;
  return result.out;
}

std::string capture_stderr(const std::function<void()>& fn) {
  std::fflush(stderr);
  FILE* sink = std::tmpfile();
  const int saved = ::dup(2);
  ::dup2(::fileno(sink), 2);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::rewind(sink);
  std::string captured;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, sink)) > 0) captured.append(buffer, n);
  std::fclose(sink);
  return captured;
}

Image random_image(Geometry geometry, std::uint32_t seed) {
  auto image = Image::create(std::move(geometry));
  EXPECT_TRUE(image) << image.error().message;
  std::mt19937 rng(seed);
  for (auto& byte : image->bytes()) byte = static_cast<std::uint8_t>(rng());
  return std::move(image).value();
}

bool is_native_syntax(const std::string& dump) {
  for (const char* syntax : {"=LittleEndianExplicit ", "=LittleEndianImplicit ", "=BigEndianExplicit "}) {
    if (dump.find(std::string("(0002,0010) UI ") + syntax) != std::string::npos) return true;
  }
  return false;
}

ErrorCode error_code_from_name(const std::string& name) {
  if (name == "kInvalidImage") return ErrorCode::kInvalidImage;
  if (name == "kUnsupported") return ErrorCode::kUnsupported;
  if (name == "kLimits") return ErrorCode::kLimits;
  ADD_FAILURE() << "unknown error code name " << name;
  return ErrorCode::kInternal;
}

Geometry geometry_from_json(const nlohmann::json& json) {
  Geometry g;
  g.width = json.at("width");
  g.height = json.at("height");
  g.frames = json.at("frames");
  g.samples = json.at("samples");
  g.bits_allocated = json.at("bits_allocated");
  g.bits_stored = json.at("bits_stored");
  g.is_signed = json.at("is_signed");
  g.photometric = json.at("photometric");
  return g;
}

std::vector<std::filesystem::path> files_with_extension(const std::filesystem::path& dir,
                                                        const std::string& extension) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace medcrypt::image::test
