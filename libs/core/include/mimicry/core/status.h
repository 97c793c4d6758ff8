// Status and Result<T>: how every stage reports recoverable errors.
//
// Contract:
//  - A function that can fail on user input (a file, a model, a parameter) returns
//    Status or Result<T>; it never throws across a stage boundary.
//  - A broken contract (a caller passing what the header forbids) is a bug and asserts.
//  - The message is one line, names the file or the parameter at fault, and says what
//    is wrong, so that the CLI can print it as it is.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mimicry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // a bad option or parameter value
  kNotFound,         // a missing file
  kInvalidInput,     // an input that exists but cannot be read or decoded
  kTruncated,        // an input that ends before its declared length
  kModelMissing,     // a model file that is not installed
  kOutputError,      // an output that cannot be written
  kNoFace,           // the input was read, but no face was found in it
  kInternal,
};

// Name of a code, for messages and JSON ("invalid_input", ...).
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status InvalidInput(std::string m) { return {StatusCode::kInvalidInput, std::move(m)}; }
inline Status ModelMissing(std::string m) { return {StatusCode::kModelMissing, std::move(m)}; }
inline Status OutputError(std::string m) { return {StatusCode::kOutputError, std::move(m)}; }
inline Status NoFace(std::string m) { return {StatusCode::kNoFace, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or a non-OK status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mimicry

#define MIMICRY_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::mimicry::Status _st = (expr);          \
    if (!_st.ok()) return _st;               \
  } while (0)
