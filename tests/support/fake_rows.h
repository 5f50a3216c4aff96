#pragma once
// What the in-memory fakes of the stores share about their rows: a row by key, as the
// MySQL stores' point reads answer it. It does not change when a store gains a primitive.

#include <map>
#include <optional>
#include <string>

namespace tuopin::testing {

// The row of `rows` under `key`, or nothing.
template <typename T>
std::optional<T> FindRow(const std::map<std::string, T>& rows, const std::string& key) {
  auto it = rows.find(key);
  if (it == rows.end()) return std::nullopt;
  return it->second;
}

}  // namespace tuopin::testing
