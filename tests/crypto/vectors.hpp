// Known-answer vector files (tests/vectors/crypto/*.vec, format in its README.md), read by one
// parameterised test per file.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace medcrypt::test {

// One block of a vector file.
struct Vector {
  std::string file;     // "aead.vec"
  std::string section;  // "aes-256-gcm"
  int line = 0;         // the block's first line
  std::string source;   // the comment lines above the block: where its values come from
  std::map<std::string, std::string> fields;
  std::string error;    // set when the file could not be read or parsed; the test must fail on it

  bool has(const std::string& key) const { return fields.count(key) != 0; }
  // The hex-decoded value; a missing key or bad hex is a test failure (and an empty result).
  Bytes bytes(const std::string& key) const;
  // A decimal value (n, r, p, repeat, iterations).
  std::uint64_t number(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  // result = valid (true) or invalid (false); anything else is a test failure.
  bool valid() const;
  std::string where() const { return file + ":" + std::to_string(line); }
};

// Parses vector-file text. Never throws: a malformed file gives one Vector with `error` set, so the
// parameterised test fails instead of the binary crashing during test registration.
std::vector<Vector> parse_vectors(std::string_view text, const std::string& file);

// Reads MEDCRYPT_VECTOR_DIR/<file>.
std::vector<Vector> read_vectors(const std::string& file);

// The vectors of one section.
std::vector<Vector> in_section(const std::vector<Vector>& vectors, std::string_view section);

// "aes_256_gcm_line_12": a valid, unique test name.
std::string vector_test_name(const testing::TestParamInfo<Vector>& info);

// Lets GoogleTest print a failing parameter as "aead.vec:12 [aes-256-gcm] NIST CAVP ...".
void PrintTo(const Vector& vector, std::ostream* os);

}  // namespace medcrypt::test
