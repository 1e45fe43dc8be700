// Where a lock was taken: std::source_location's job, with the compiler builtins underneath so
// that it also works where <source_location> is missing (clang 14 with libstdc++ 12).
#pragma once

namespace brigade::detail {

/// A source position captured at the call site when used as a default argument:
/// `void lock(source_site where = source_site::current())`.
class source_site {
 public:
  static constexpr source_site current(const char* file = __builtin_FILE(),
                                       unsigned line = __builtin_LINE(),
                                       const char* function = __builtin_FUNCTION()) noexcept {
    return source_site(file, line, function);
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr unsigned line() const noexcept { return line_; }
  constexpr const char* function_name() const noexcept { return function_; }

 private:
  constexpr source_site(const char* file, unsigned line, const char* function) noexcept
      : file_(file), line_(line), function_(function) {}
  const char* file_;
  unsigned line_;
  const char* function_;
};

}  // namespace brigade::detail
