// Static files as HTTP caches and download tools use them: HEAD, validators (ETag,
// Last-Modified), conditional requests (304), byte ranges (206, 416) and content types.
#include "server_fixture.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace web_test {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

std::string imf_fixdate(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[40];
  return std::string(buf, std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc));
}

class static_http : public server_test {
 protected:
  void SetUp() override {
    server_test::SetUp();
    if (IsSkipped()) return;
    if (!have_curl())
      GTEST_FAIL() << "curl is not installed (tools/install-deps.sh --tests installs it)";
    char tmpl[] = "/tmp/web_server_http_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    write_file(root_ / "hello.txt", "hello from a file\n");  // 18 bytes
    write_file(root_ / "empty.txt", "");
    std::mt19937 rng(7);
    blob_.resize(200 * 1024 + 3);  // ranges across the server's 64 KiB chunks
    for (char& c : blob_) c = static_cast<char>(rng());
    write_file(root_ / "data.bin", blob_);
    start({"--root", root_.string()});
  }
  void TearDown() override {
    server_test::TearDown();
    if (!root_.empty()) fs::remove_all(root_);
  }

  // A HEAD with curl -I: everything curl received is the head, with no body after it.
  answer head(std::vector<std::string> args) {
    args.insert(args.begin(), "-I");
    return answer_of(curl(std::move(args)));
  }
  answer get_with(const std::string& header, const std::string& target = "/hello.txt") {
    return get({"-H", header, url(target)});
  }
  std::string etag(const std::string& target = "/hello.txt") {
    return get({url(target)}).head.header("etag");
  }

  fs::path root_;
  std::string blob_;
};

TEST_P(static_http, head_sends_the_headers_of_get_and_no_body) {
  const answer g = get({url("/hello.txt")});
  const answer h = head({url("/hello.txt")});
  EXPECT_EQ(h.head.status, 200);
  EXPECT_EQ(h.body, "");
  for (const char* name : {"content-length", "content-type", "etag", "last-modified"})
    EXPECT_EQ(h.head.header(name), g.head.header(name)) << name;
  EXPECT_EQ(h.head.header("content-length"), "18");
  // On one connection: had the HEAD carried a body, the GET behind it would not parse.
  raw_connection c(port());
  ASSERT_TRUE(c.send("HEAD /data.bin HTTP/1.1\r\nHost: x\r\n\r\n" + get_request("/hello.txt")));
  const auto head = c.read_response(20s, true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("content-length"), std::to_string(blob_.size()));
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "hello from a file\n");
}

TEST_P(static_http, every_200_has_a_strong_etag_and_last_modified) {
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "hello.txt").c_str(), &st), 0);
  const answer a = get({url("/hello.txt")});
  EXPECT_EQ(a.head.status, 200);
  EXPECT_TRUE(std::regex_match(a.head.header("etag"), std::regex("\"[0-9a-f]+-[0-9a-f]+\"")))
      << a.head.header("etag");
  EXPECT_EQ(a.head.header("last-modified"), imf_fixdate(st.st_mtime));
  EXPECT_EQ(a.head.header("accept-ranges"), "bytes");
  EXPECT_NE(etag("/hello.txt"), etag("/data.bin"));
  const std::string before = etag();
  write_file(root_ / "hello.txt", "changed\n");
  EXPECT_NE(etag(), before);
}

TEST_P(static_http, if_none_match_gives_an_empty_304) {
  const std::string tag = etag();
  for (const std::string& value :
       {tag, "\"nope\", " + tag, "W/" + tag, std::string("*"), "\"a\" ,W/" + tag + " , \"b\""}) {
    const answer a = get_with("If-None-Match: " + value);
    EXPECT_EQ(a.head.status, 304) << value;
    EXPECT_EQ(a.body, "") << value;
    EXPECT_EQ(a.head.header("content-length"), "") << value;
    EXPECT_EQ(a.head.header("etag"), tag) << value;
    EXPECT_NE(a.head.header("last-modified"), "") << value;
  }
  EXPECT_EQ(get_with("If-None-Match: \"other\"").head.status, 200);
  EXPECT_EQ(get_with("If-None-Match: \"other\"").body, "hello from a file\n");
  // On one connection: a 304 with a stray body would break the response behind it.
  raw_connection c(port());
  ASSERT_TRUE(c.send("GET /hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + tag + "\r\n\r\n" +
                     get_request("/hello.txt")));
  const auto not_modified = c.read_response();
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  const auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "hello from a file\n");
}

TEST_P(static_http, if_modified_since_gives_304_unless_the_file_is_newer) {
  const std::string modified = get({url("/hello.txt")}).head.header("last-modified");
  const answer same = get({"-z", modified, url("/hello.txt")});
  EXPECT_EQ(same.head.status, 304);
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(get_with("If-Modified-Since: " + imf_fixdate(std::time(nullptr) + 3600)).head.status,
            304);
  const answer older = get_with("If-Modified-Since: " + imf_fixdate(86400));
  EXPECT_EQ(older.head.status, 200);
  EXPECT_EQ(older.body, "hello from a file\n");
  // The obsolete forms are accepted too; garbage is ignored.
  EXPECT_EQ(get_with("If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT").head.status, 200);
  EXPECT_EQ(get_with("If-Modified-Since: Thursday, 31-Dec-37 23:59:59 GMT").head.status, 304);
  EXPECT_EQ(get_with("If-Modified-Since: Fri Dec 31 23:59:59 2100").head.status, 304);
  EXPECT_EQ(get_with("If-Modified-Since: yesterday").head.status, 200);
}

TEST_P(static_http, if_none_match_wins_over_if_modified_since) {
  const std::string future = imf_fixdate(std::time(nullptr) + 3600);
  const answer a = get(
      {"-H", "If-None-Match: \"other\"", "-H", "If-Modified-Since: " + future, url("/hello.txt")});
  EXPECT_EQ(a.head.status, 200);
  EXPECT_EQ(a.body, "hello from a file\n");
  const answer b = get({"-H", "If-None-Match: " + etag(), "-H",
                        "If-Modified-Since: " + imf_fixdate(86400), url("/hello.txt")});
  EXPECT_EQ(b.head.status, 304);
  EXPECT_EQ(b.body, "");
}

TEST_P(static_http, a_single_range_gives_206_with_its_content_range) {
  struct expect {
    const char* range;
    const char* content_range;
    const char* body;
  };
  for (const expect& e :
       {expect{"0-4", "bytes 0-4/18", "hello"}, expect{"11-", "bytes 11-17/18", "a file\n"},
        expect{"-5", "bytes 13-17/18", "file\n"}, expect{"17-17", "bytes 17-17/18", "\n"},
        expect{"6-1000", "bytes 6-17/18", "from a file\n"},
        expect{"-1000", "bytes 0-17/18", "hello from a file\n"}}) {
    const answer a = get({"-r", e.range, url("/hello.txt")});
    EXPECT_EQ(a.head.status, 206) << e.range;
    EXPECT_EQ(a.head.header("content-range"), e.content_range) << e.range;
    EXPECT_EQ(a.head.header("content-length"), std::to_string(std::string(e.body).size()));
    EXPECT_EQ(a.body, e.body) << e.range;
    EXPECT_NE(a.head.header("etag"), "") << e.range;
  }
  // Across chunks of a larger file, byte for byte.
  const answer big = get({"-r", "65530-131080", url("/data.bin")});
  EXPECT_EQ(big.head.status, 206);
  EXPECT_EQ(big.head.header("content-range"), "bytes 65530-131080/" + std::to_string(blob_.size()));
  EXPECT_TRUE(big.body == blob_.substr(65530, 131080 - 65530 + 1));
  const answer h = head({"-r", "10-19", url("/data.bin")});
  EXPECT_EQ(h.head.status, 206);
  EXPECT_EQ(h.head.header("content-length"), "10");
  EXPECT_EQ(h.head.header("content-range"), "bytes 10-19/" + std::to_string(blob_.size()));
  EXPECT_EQ(h.body, "");
}

TEST_P(static_http, an_unsatisfiable_range_gives_an_empty_416) {
  for (const auto& [target, range] :
       {std::pair{"/hello.txt", "bytes=18-"}, std::pair{"/hello.txt", "bytes=1000-2000"},
        std::pair{"/hello.txt", "bytes=-0"}, std::pair{"/empty.txt", "bytes=0-"},
        std::pair{"/empty.txt", "bytes=-5"}}) {
    const answer a = get_with(std::string("Range: ") + range, target);
    EXPECT_EQ(a.head.status, 416) << target << " " << range;
    EXPECT_EQ(a.body, "") << range;
    EXPECT_EQ(a.head.header("content-length"), "0") << range;
    EXPECT_EQ(a.head.header("content-range"),
              std::string("bytes */") + (std::string(target) == "/empty.txt" ? "0" : "18"))
        << range;
  }
}

TEST_P(static_http, several_or_malformed_ranges_are_ignored) {
  for (const char* range :
       {"bytes=0-1,3-4", "bytes=0-1, 5-", "bytes=5-2", "bytes=abc", "bytes=", "bytes=--1",
        "items=0-1", "bytes 0-1", "bytes=1-2-3", "bytes=0x1-2", "bytes=-"}) {
    const answer a = get_with(std::string("Range: ") + range);
    EXPECT_EQ(a.head.status, 200) << range;
    EXPECT_EQ(a.body, "hello from a file\n") << range;
    EXPECT_EQ(a.head.header("content-range"), "") << range;
  }
  // Two Range fields are two ranges.
  const answer two = get({"-H", "Range: bytes=0-1", "-H", "Range: bytes=2-3", url("/hello.txt")});
  EXPECT_EQ(two.head.status, 200);
}

TEST_P(static_http, if_range_sends_the_range_only_if_the_file_is_unchanged) {
  const answer full = get({url("/hello.txt")});
  const std::string tag = full.head.header("etag");
  const std::string modified = full.head.header("last-modified");
  auto ask = [&](const std::string& if_range) {
    return get({"-r", "0-4", "-H", "If-Range: " + if_range, url("/hello.txt")});
  };
  EXPECT_EQ(ask(tag).head.status, 206);
  EXPECT_EQ(ask(tag).body, "hello");
  EXPECT_EQ(ask(modified).head.status, 206);
  for (const std::string& stale : {std::string("\"other\""), "W/" + tag, imf_fixdate(86400)}) {
    const answer a = ask(stale);
    EXPECT_EQ(a.head.status, 200) << stale;
    EXPECT_EQ(a.body, "hello from a file\n") << stale;
  }
}

TEST_P(static_http, content_types_follow_the_extension) {
  const std::vector<std::pair<std::string, std::string>> types{
      {"a.html", "text/html; charset=utf-8"},
      {"a.css", "text/css"},
      {"a.js", "text/javascript"},
      {"a.json", "application/json"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.svg", "image/svg+xml"},
      {"a.txt", "text/plain; charset=utf-8"},
      {"a.wasm", "application/wasm"},
      {"a.pdf", "application/pdf"},
      {"a.ico", "image/x-icon"},
      {"A.PNG", "image/png"},
      {"a.unknown", "application/octet-stream"},
      {"noext", "application/octet-stream"}};
  for (const auto& [name, type] : types) write_file(root_ / name, "x");
  for (const auto& [name, type] : types) {
    const run_result r =
        curl({"-o", "/dev/null", "-w", "%{http_code} %{content_type}", url("/" + name)});
    EXPECT_EQ(r.out, "200 " + type) << name << r.err;
  }
}

WEB_SERVER_ON_BACKENDS(static_http);

}  // namespace
}  // namespace web_test
