// The vector-file reader itself, and the independent re-check of every vector file by Python.
#include "vectors.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace medcrypt::test {
namespace {

TEST(VectorParser, ReadsSectionsBlocksSourcesAndContinuations) {
  const auto v = parse_vectors(
      "# file header, not a source\n"
      "\n"
      "[alg-one]\n"
      "# source A\n"
      "# second line of source A\n"
      "key = 0011\n"
      "msg =\n"
      "long = aabb\n"
      "       ccdd\n"
      "\tee\n"
      "result = valid\n"
      "\n"
      "[alg-two]\n"
      "# source B\n"
      "n = 1024\n"
      "result = invalid\n",
      "test.vec");
  ASSERT_EQ(v.size(), 2u);
  ASSERT_TRUE(v[0].error.empty()) << v[0].error;
  EXPECT_EQ(v[0].section, "alg-one");
  EXPECT_EQ(v[0].line, 6);
  EXPECT_EQ(v[0].source, "source A second line of source A");
  EXPECT_EQ(v[0].text("key"), "0011");
  EXPECT_TRUE(v[0].bytes("msg").empty());
  EXPECT_EQ(v[0].text("long"), "aabbccddee");
  EXPECT_TRUE(v[0].valid());
  EXPECT_EQ(v[1].section, "alg-two");
  EXPECT_EQ(v[1].source, "source B");
  EXPECT_EQ(v[1].number("n"), 1024u);
  EXPECT_FALSE(v[1].valid());
  EXPECT_EQ(vector_test_name(testing::TestParamInfo<Vector>(v[0], 0)), "alg_one_line_6");
}

TEST(VectorParser, EmptyTextHasNoVectors) {
  EXPECT_TRUE(parse_vectors("", "empty.vec").empty());
  EXPECT_TRUE(parse_vectors("# only comments\n\n", "empty.vec").empty());
}

// Malformed files give one Vector that carries the error, so the parameterised test fails loudly.
TEST(VectorParser, RefusesMalformedFiles) {
  const std::pair<const char*, const char*> cases[] = {
      {"[s]\nkey = 00\n", "a block without a source"},
      {"# src\nkey = 00\n", "a block before any section"},
      {"[s]\n# src\nkey = 0g\n", "bad hex"},
      {"[s]\n# src\nkey = 001\n", "odd-length hex"},
      {"[s]\n# src\nn = 12a\n", "a bad number"},
      {"[s]\n# src\nresult = maybe\n", "a bad result"},
      {"[s]\n# src\nkey = 00\nkey = 01\n", "a repeated key"},
      {"[s]\n# src\nkey 00\n", "no equals sign"},
      {"[s]\n  00\n", "a continuation without a key"},
      {"[s]\n# src\nkey = 00\n# inside\nmsg = 01\n", "a comment inside a block"},
      {"[s\n", "an unclosed section"},
  };
  for (const auto& [text, what] : cases) {
    auto v = parse_vectors(text, "bad.vec");
    ASSERT_EQ(v.size(), 1u) << what;
    EXPECT_FALSE(v[0].error.empty()) << what << " was accepted";
  }
  auto missing = read_vectors("no-such-file.vec");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_FALSE(missing[0].error.empty());
}

// check_vectors.py re-checks every .vec file with python-cryptography and hashlib (an independent front
// end to independent parsing code), so a value mistyped into a file cannot hide behind a matching bug.
TEST(VectorFiles, AgreeWithPythonCryptography) {
  const std::string python = system_python();
  if (run_command(shell_quote(python) + " -c 'import cryptography'").exit_code != 0) {
    GTEST_SKIP() << "SKIPPED: " << python << " lacks the cryptography package (python3-cryptography)";
  }
  const std::string script = std::string(MEDCRYPT_VECTOR_DIR) + "/check_vectors.py";
  auto r = run_command(shell_quote(python) + " " + shell_quote(script) + " --quick");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("all 99 vectors agree"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace medcrypt::test
