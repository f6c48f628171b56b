#include "vectors.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace medcrypt::test {
namespace {

// Keys whose values are decimal numbers or words; every other value must be hex.
const std::set<std::string, std::less<>> kDecimalKeys = {"repeat", "iterations", "n", "r", "p"};
const std::set<std::string, std::less<>> kWordKeys = {"result"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<Vector> failed(const std::string& file, int line, const std::string& why) {
  Vector v;
  v.file = file;
  v.line = line;
  v.error = file + ":" + std::to_string(line) + ": " + why;
  return {v};
}

bool is_decimal(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Bytes Vector::bytes(const std::string& key) const {
  auto it = fields.find(key);
  if (it == fields.end()) {
    ADD_FAILURE() << where() << ": no field '" << key << "'";
    return {};
  }
  auto decoded = from_hex(it->second);
  if (!decoded) {
    ADD_FAILURE() << where() << ": field '" << key << "' is not hex";
    return {};
  }
  return std::move(decoded).value();
}

std::uint64_t Vector::number(const std::string& key) const {
  auto it = fields.find(key);
  if (it == fields.end() || !is_decimal(it->second)) {
    ADD_FAILURE() << where() << ": no decimal field '" << key << "'";
    return 0;
  }
  return std::stoull(it->second);
}

const std::string& Vector::text(const std::string& key) const {
  static const std::string kEmpty;
  auto it = fields.find(key);
  if (it == fields.end()) {
    ADD_FAILURE() << where() << ": no field '" << key << "'";
    return kEmpty;
  }
  return it->second;
}

bool Vector::valid() const {
  const std::string& result = text("result");
  if (result != "valid" && result != "invalid") ADD_FAILURE() << where() << ": result is '" << result << "'";
  return result == "valid";
}

std::vector<Vector> parse_vectors(std::string_view text, const std::string& file) {
  std::vector<Vector> out;
  std::string section;
  std::string comment;
  Vector current;
  std::string last_key;
  int number = 0;

  auto flush = [&]() -> std::string {
    if (!current.fields.empty()) {
      if (section.empty()) return "a block before any [section]";
      if (comment.empty()) return "a block without a source comment above it";
      current.file = file;
      current.section = section;
      current.source = comment;
      out.push_back(std::move(current));
    }
    current = Vector{};
    comment.clear();
    last_key.clear();
    return {};
  };

  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++number;
    std::string_view line = trim(raw);

    if (line.empty()) {
      if (auto why = flush(); !why.empty()) return failed(file, number, why);
      continue;
    }
    if (line.front() == '#') {
      if (!current.fields.empty()) return failed(file, number, "a comment inside a block");
      line.remove_prefix(1);
      if (!comment.empty()) comment += ' ';
      comment += trim(line);
      continue;
    }
    if (raw.front() == ' ' || raw.front() == '\t') {  // continues the value above
      if (last_key.empty()) return failed(file, number, "a continuation line without a key above it");
      current.fields[last_key] += line;
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) return failed(file, number, "a malformed [section]");
      if (auto why = flush(); !why.empty()) return failed(file, number, why);
      section = std::string(line.substr(1, line.size() - 2));
      comment.clear();
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return failed(file, number, "expected 'key = value'");
    std::string key(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    if (key.empty()) return failed(file, number, "an empty key");
    if (current.fields.count(key) != 0) return failed(file, number, "a repeated key '" + key + "'");
    if (current.fields.empty()) current.line = number;
    current.fields[key] = value;
    last_key = key;
  }
  if (auto why = flush(); !why.empty()) return failed(file, number, why);

  // Every value must decode: hex, or decimal for the counting keys, or a result word.
  for (const Vector& v : out) {
    for (const auto& [key, value] : v.fields) {
      bool ok = kDecimalKeys.count(key) ? is_decimal(value)
                : kWordKeys.count(key)  ? (value == "valid" || value == "invalid")
                                        : from_hex(value).has_value();
      if (!ok) return failed(file, v.line, "field '" + key + "' has a malformed value");
    }
  }
  return out;
}

std::vector<Vector> read_vectors(const std::string& file) {
  std::filesystem::path path = std::filesystem::path(MEDCRYPT_VECTOR_DIR) / file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return failed(file, 0, "cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_vectors(text.str(), file);
}

std::vector<Vector> in_section(const std::vector<Vector>& vectors, std::string_view section) {
  std::vector<Vector> out;
  for (const Vector& v : vectors) {
    if (v.section == section) out.push_back(v);
  }
  return out;
}

std::string vector_test_name(const testing::TestParamInfo<Vector>& info) {
  const Vector& v = info.param;
  std::string name = v.section.empty() ? std::string("unreadable") : v.section;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + "_line_" + std::to_string(v.line);
}

void PrintTo(const Vector& vector, std::ostream* os) {
  if (!vector.error.empty()) {
    *os << vector.error;
    return;
  }
  *os << vector.where() << " [" << vector.section << "] " << vector.source;
}

}  // namespace medcrypt::test
