// Result<T>: a value or an Error, with std::expected's member names (GCC 12 has std::expected only in C++23).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace medcrypt {

// Each class of failure has its own process exit code (README.md, "Exit codes"); keep the numbers stable.
enum class ErrorCode : int {
  kInternal = 1,         // a bug or an unexpected library failure
  kUsage = 2,            // bad command line
  kIo = 3,               // a file could not be read or written
  kInvalidImage = 4,     // malformed or truncated image file (DICOM, PNG, ...)
  kUnsupported = 5,      // a valid file medcrypt does not handle (transfer syntax, bit depth, ...)
  kLimits = 6,           // absurd geometry or a size over medcrypt's limits
  kWrongKey = 7,         // the container is not addressed to this key or identity
  kAuthentication = 8,   // the container failed authentication: modified, or decrypted with a wrong key
  kMalformed = 9,        // the container's structure is broken or truncated
  kVersion = 10,         // unknown container version or scheme
  kSignature = 11,       // signature missing, invalid, or not from the expected sender
  kBadKey = 12,          // a key file is malformed or its passphrase is wrong
};

[[nodiscard]] std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

[[nodiscard]] inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace medcrypt

// Propagates an error from an expression returning Result<T>/Status; binds nothing.
#define MEDCRYPT_TRY(expr)                                   \
  do {                                                       \
    auto&& medcrypt_try_result_ = (expr);                    \
    if (!medcrypt_try_result_) return std::move(medcrypt_try_result_).error(); \
  } while (0)

#define MEDCRYPT_CONCAT_INNER(a, b) a##b
#define MEDCRYPT_CONCAT(a, b) MEDCRYPT_CONCAT_INNER(a, b)

// Declares `lhs` from the value of a Result<T> expression, or returns its error.
#define MEDCRYPT_ASSIGN_OR_RETURN(lhs, expr) \
  MEDCRYPT_ASSIGN_OR_RETURN_IMPL(MEDCRYPT_CONCAT(medcrypt_result_, __LINE__), lhs, expr)
#define MEDCRYPT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp) return std::move(tmp).error();             \
  lhs = std::move(tmp).value()
