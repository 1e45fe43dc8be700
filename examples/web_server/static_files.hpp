// Static files under a root directory, with path traversal refused.
#pragma once

#include "http_message.hpp"

#include <brigade/core/task.hpp>

#include <filesystem>
#include <string_view>

namespace web {

/// The response for url_path (still percent-encoded, without the query) under root, which
/// must be canonical: 200 with the file open for streaming; 400 for a malformed path; 403 for a
/// path that resolves outside root (through "..", percent-encoded dots or a symbolic link) or
/// that is not a readable regular file; 404 when nothing is there. A directory stands for its
/// index.html. The file system work runs on the pool: the loop never waits for the disk.
brigade::task<response> static_file(std::string_view url_path, const std::filesystem::path& root);

}  // namespace web
