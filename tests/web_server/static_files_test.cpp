// Static files from --root, fetched with curl: content, type and length; directories; and every
// way out of the root we know of (.., percent-encoded dots and slashes, symbolic links).
#include "files.hpp"
#include "server_fixture.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace web_test {
namespace {

namespace fs = std::filesystem;

// base/secret.txt is outside the root base/www; base/www holds the served files and links.
class static_files : public server_test {
 protected:
  void SetUp() override {
    server_test::SetUp();
    if (IsSkipped()) return;
    if (!have_curl())
      GTEST_FAIL() << "curl is not installed (tools/install-deps.sh --tests installs it)";
    char tmpl[] = "/tmp/web_server_root_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    const fs::path www = base_ / "www";
    fs::create_directories(www / "sub");
    write_file(base_ / "secret.txt", "TOP SECRET\n");
    write_file(www / "hello.txt", "hello from a file\n");
    write_file(www / "page.html", "<h1>page</h1>\n");
    write_file(www / "sub" / "index.html", "<h1>sub index</h1>\n");
    std::mt19937 rng(42);
    std::string blob(300 * 1024 + 17, '\0');  // several chunks, not a multiple of any
    for (char& c : blob) c = static_cast<char>(rng());
    write_file(www / "sub" / "data.bin", blob);
    fs::create_symlink("../secret.txt", www / "escape");
    fs::create_symlink(base_ / "secret.txt", www / "escape_absolute");
    fs::create_symlink("..", www / "up");
    fs::create_symlink("hello.txt", www / "inside");
    start({"--root", www.string()});
  }
  void TearDown() override {
    server_test::TearDown();
    if (!base_.empty()) fs::remove_all(base_);
  }

  // Status and body of one GET, the path sent exactly as given.
  std::pair<int, std::string> get(const std::string& target) {
    const run_result r = curl({"--path-as-is", "-w", "\n%{http_code}", url(target)});
    EXPECT_EQ(r.code, 0) << r.err;
    const std::size_t nl = r.out.rfind('\n');
    if (nl == std::string::npos) return {0, r.out};
    return {std::stoi(r.out.substr(nl + 1)), r.out.substr(0, nl)};
  }

  fs::path base_;
};

TEST_P(static_files, are_served_whole_with_type_and_length) {
  EXPECT_EQ(get("/hello.txt"), std::make_pair(200, std::string("hello from a file\n")));
  EXPECT_EQ(get("/page.html"), std::make_pair(200, std::string("<h1>page</h1>\n")));
  const fs::path copy = base_ / "copy.bin";
  const run_result r =
      curl({"-o", copy.string(), "-w", "%{http_code} %{content_type} %{size_download}",
            url("/sub/data.bin")});
  EXPECT_EQ(r.out, "200 application/octet-stream 307217") << r.err;
  EXPECT_TRUE(read_file(copy) == read_file(base_ / "www" / "sub" / "data.bin"));
  const run_result t = curl({"-o", "/dev/null", "-w", "%{content_type}", url("/page.html")});
  EXPECT_EQ(t.out, "text/html; charset=utf-8");
}

// Answers to pipelined requests are held back to go out in one write; a file among them (sent
// from disk, not from memory) and a HEAD keep their places.
TEST_P(static_files, a_file_among_pipelined_requests_keeps_its_place) {
  raw_connection c(port());
  std::string batch = get_request("/") + get_request("/hello.txt") + get_request("/");
  batch += "HEAD /page.html HTTP/1.1\r\nHost: x\r\n\r\n" + get_request("/sub/data.bin") +
           get_request("/missing") + get_request("/page.html");
  ASSERT_TRUE(c.send(batch));
  const std::vector<std::pair<int, std::string>> want = {
      {200, "Hello, World!"},
      {200, "hello from a file\n"},
      {200, "Hello, World!"},
      {200, ""},  // HEAD
      {200, read_file(base_ / "www" / "sub" / "data.bin")},
      {404, ""},
      {200, "<h1>page</h1>\n"}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto r = c.read_response(20s, i == 3);
    ASSERT_TRUE(r) << "response " << i;
    EXPECT_EQ(r->status, want[i].first) << i;
    if (want[i].first == 200) {
      EXPECT_TRUE(r->body == want[i].second) << i;
    }
  }
}

TEST_P(static_files, a_directory_serves_its_index) {
  EXPECT_EQ(get("/sub/"), std::make_pair(200, std::string("<h1>sub index</h1>\n")));
  EXPECT_EQ(get("/sub"), std::make_pair(200, std::string("<h1>sub index</h1>\n")));
}

TEST_P(static_files, paths_out_of_the_root_are_refused) {
  for (const char* target :
       {"/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
        "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/./../secret.txt", "/escape",
        "/escape_absolute", "/up/secret.txt", "/../../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/up/www/../secret.txt"}) {
    const auto [status, body] = get(target);
    EXPECT_TRUE(status == 403 || status == 404) << target << " -> " << status;
    EXPECT_EQ(body.find("TOP SECRET"), std::string::npos) << target;
    EXPECT_EQ(body.find("root:"), std::string::npos) << target;
  }
  // Climbing out is "forbidden", not "not found": the server saw what it was.
  EXPECT_EQ(get("/../secret.txt").first, 403);
  EXPECT_EQ(get("/%2e%2e/secret.txt").first, 403);
  EXPECT_EQ(get("/escape").first, 403);
}

// Every spelling of ".." we know of, sent byte for byte (no client normalizes them on the way):
// none reads the file above the root. Each is refused one way or another: 400 (an encoded NUL,
// or a target the parser rejects), 403 (a real ".." after one decoding) or 404 (the spelling
// is only a strange file name: "%2e%2e" after one decoding, a backslash, an overlong UTF-8
// sequence, none of which Linux or the server reads as a dot or a separator).
TEST_P(static_files, every_spelling_of_dot_dot_is_refused) {
  const std::pair<std::string_view, int> spellings[] = {
      {"/..%2fsecret.txt", 403},
      {"/.%2e/secret.txt", 403},
      {"/%2e./secret.txt", 403},
      {"/%2E%2e/secret.txt", 403},
      {"/%252e%252e/secret.txt", 404},
      {"/%252e%252e%252fsecret.txt", 404},
      {"/sub/%252e%252e/%252e%252e/secret.txt", 404},
      {"/..\\secret.txt", 404},
      {"/sub\\..\\..\\secret.txt", 404},
      {"/..%5csecret.txt", 404},
      {"/%2e%2e%5csecret.txt", 404},
      {"/%5c..%5c..%5csecret.txt", 404},
      {"/..%00/secret.txt", 400},
      {"/%2e%2e%00/secret.txt", 400},
      {"/hello.txt%00.html", 400},
      {"/%c0%ae%c0%ae/secret.txt", 404},
      {"/%c0%ae%c0%ae%c0%afsecret.txt", 404},
      {"/%e0%80%ae%e0%80%ae/secret.txt", 404},
      {"/%c0%2e%c0%2e/secret.txt", 404},
      {"/%c1%9c..%c1%9csecret.txt", 404},
      {"/..;/secret.txt", 404},
      {"//../secret.txt", 403},
      {"/%2f..%2fsecret.txt", 403},
      {"/%2fetc%2fpasswd", 404},
      {"//etc/passwd", 404},
      {"/sub/..%2f..%2fsecret.txt", 403},
      {"http://127.0.0.1/../secret.txt", 403},
      {"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 403},
  };
  for (const auto& [target, status] : spellings) {
    const auto r = fetch(port(), target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, status) << target;
    EXPECT_EQ(r->body.find("TOP SECRET"), std::string::npos) << target;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << target;
  }
  // The 404s are names taken literally: made real, they are served from inside the root.
  const fs::path www = base_ / "www";
  write_file(www / "..\\secret.txt", "backslash name\n");
  fs::create_directories(www / "%2e%2e");
  write_file(www / "%2e%2e" / "secret.txt", "percent name\n");
  EXPECT_EQ(get("/..%5csecret.txt"), std::make_pair(200, std::string("backslash name\n")));
  EXPECT_EQ(get("/%252e%252e/secret.txt"), std::make_pair(200, std::string("percent name\n")));
  EXPECT_EQ(get("/hello.txt"), std::make_pair(200, std::string("hello from a file\n")));
}

TEST_P(static_files, dots_and_links_that_stay_inside_are_fine) {
  const auto hello = std::make_pair(200, std::string("hello from a file\n"));
  EXPECT_EQ(get("/inside"), hello);
  EXPECT_EQ(get("/sub/../hello.txt"), hello);
  EXPECT_EQ(get("/sub/%2e%2e/hello.txt"), hello);
  EXPECT_EQ(get("/%68ello.txt"), hello);
  EXPECT_EQ(get("/./hello.txt"), hello);
}

// A client who can write under the root swaps a link between a file inside and one outside
// while it asks for the link, as fast as it can: the check and the open are one system call
// (openat2 beneath the root), so no answer ever carries the outside file.
TEST_P(static_files, a_link_swapped_during_the_request_never_leads_out) {
  const fs::path www = base_ / "www";
  std::atomic<bool> done{false};
  std::thread swapper([&] {
    for (unsigned i = 0; !done.load(std::memory_order_relaxed); ++i) {
      const fs::path tmp = www / ("race.tmp" + std::to_string(i % 2));
      std::error_code ec;
      fs::remove(tmp, ec);
      fs::create_symlink(i % 2 == 0 ? fs::path("hello.txt") : fs::path("../secret.txt"), tmp, ec);
      fs::rename(tmp, www / "race", ec);  // atomic: "race" always names one of the two
    }
  });
  raw_connection c(port());
  int inside = 0;
  int refused = 0;
  int leaked = 0;
  for (int i = 0; i < 4000; ++i) {
    ASSERT_TRUE(c.send(get_request("/race")));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    if (r->body.find("TOP SECRET") != std::string::npos) ++leaked;
    if (r->status == 200 && r->body == "hello from a file\n") ++inside;
    if (r->status == 403 || r->status == 404) ++refused;
  }
  done = true;
  swapper.join();
  EXPECT_EQ(leaked, 0);
  EXPECT_EQ(inside + refused, 4000);
  EXPECT_GT(inside, 0);  // the race was run: both links were seen
  EXPECT_GT(refused, 0);
}

// What is not a regular file is refused at once: a FIFO would block whoever opens it without
// O_NONBLOCK (the pool, for good), and a socket or a directory without an index is no file.
TEST_P(static_files, fifos_sockets_and_bare_directories_are_refused_without_blocking) {
  const fs::path www = base_ / "www";
  ASSERT_EQ(::mkfifo((www / "fifo").c_str(), 0644), 0);
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = (www / "sock").string();
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::copy(sock_path.begin(), sock_path.end(), addr.sun_path);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  fs::create_directories(www / "empty");
  for (int round = 0; round < 20; ++round) {  // more than the file lane has workers
    EXPECT_EQ(get("/fifo").first, 403);
    EXPECT_EQ(get("/sock").first, 403);
  }
  EXPECT_EQ(get("/empty/").first, 404);
  // Nothing is stuck: files are still served, and the drain (TearDown) exits cleanly.
  EXPECT_EQ(get("/hello.txt"), std::make_pair(200, std::string("hello from a file\n")));
  ::close(sock);
}

TEST_P(static_files, missing_files_are_404_and_bad_escapes_400) {
  EXPECT_EQ(get("/nothing.txt").first, 404);
  EXPECT_EQ(get("/hello.txt/more").first, 404);
  for (const char* target : {"/%zz", "/%00", "/hello.txt%0", "/%4"})
    EXPECT_EQ(get(target).first, 400) << target;
}

WEB_SERVER_ON_BACKENDS(static_files);

}  // namespace
}  // namespace web_test
