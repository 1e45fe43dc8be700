// The transform every whole-number option of the command line passes first: decimal digits.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace brigade::cli {

/// A CLI11 transform that takes decimal digits only (with `unit`, followed by a unit of letters,
/// as in "512MiB" or "512 MiB") and drops their leading zeros, ahead of the conversion and any
/// range check: CLI11 reads unsigned numbers with strtoull in base 0, so "010" was 8, "0x10"
/// 16 and "-18446744073709551596" wrapped around to 20, all accepted. Now "010" is 10 and the
/// others are refused: "--chefs: 0x10 is not a whole number in decimal digits".
/// Added with Option::transform, which puts it before the option's other validators (and so
/// after any transform added later).
inline CLI::Validator whole_number(bool unit = false) {
  return CLI::Validator(
      [unit](std::string& text) -> std::string {
        std::size_t digits = 0;
        while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
          ++digits;
        std::size_t end = digits;
        while (unit && end < text.size() && text[end] == ' ') ++end;  // "512 MiB"
        while (unit && end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])))
          ++end;
        if (digits == 0 || end != text.size())
          return text + " is not a whole number in decimal digits" + (unit ? " (and a unit)" : "");
        text.erase(0, std::min(text.find_first_not_of('0'), digits - 1));  // "000" is "0"
        return {};
      },
      "", "whole number");
}

}  // namespace brigade::cli
