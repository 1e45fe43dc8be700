// Symbolic links under --root: links out of it (to a file, to /etc/passwd, to a directory) are
// refused and links inside are followed, with openat2 and with the walk kernels without it get
// (the ":walk" variants run the server under a seccomp filter that hides openat2); loops end in
// an error, not a hang; --follow-symlinks follows every link.
#include "files.hpp"
#include "server_fixture.hpp"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace web_test {
namespace {

namespace fs = std::filesystem;

// base/outside holds what must never be served by default; base/www is the root, full of links.
class symlinks : public server_test {
 protected:
  void SetUp() override {
    server_test::SetUp();
    if (IsSkipped()) return;
    char tmpl[] = "/tmp/web_server_links_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    const fs::path out = base_ / "outside";
    const fs::path www = base_ / "www";
    fs::create_directories(out / "dir");
    fs::create_directories(www / "sub");
    fs::create_directories(www / "linked_index");
    write_file(out / "secret.txt", "TOP SECRET\n");
    write_file(out / "dir" / "file.txt", "TOP SECRET in a directory\n");
    write_file(www / "hello.txt", "hello from a file\n");
    write_file(www / "sub" / "index.html", "<h1>sub index</h1>\n");
    write_file(www / "sub" / "page.txt", "a page in sub\n");
    // Out of the root.
    fs::create_symlink("../outside/secret.txt", www / "to_file");
    fs::create_symlink(out / "secret.txt", www / "to_file_absolute");
    fs::create_symlink("../../outside/secret.txt", www / "sub" / "to_file_nested");
    fs::create_symlink("/etc/passwd", www / "to_passwd");
    fs::create_symlink("../outside/dir", www / "to_dir");
    fs::create_symlink(out / "dir", www / "to_dir_absolute");
    fs::create_symlink("../../outside/secret.txt", www / "linked_index" / "index.html");
    fs::create_symlink("../www/hello.txt", www / "out_and_back");  // leaves, then returns
    fs::create_symlink(www / "hello.txt", www / "absolute_inside");
    // Out of the root, to nothing: answered like the links to something.
    fs::create_symlink("../outside/missing.txt", www / "to_missing");
    fs::create_symlink(out / "missing.txt", www / "to_missing_absolute");
    // Inside the root.
    fs::create_symlink("hello.txt", www / "in_file");
    fs::create_symlink("in_file", www / "in_chain");
    fs::create_symlink("sub", www / "in_dir");
    fs::create_symlink("../hello.txt", www / "sub" / "up_inside");
    fs::create_symlink("../in_dir/./page.txt", www / "sub" / "round_trip");
    // Loops.
    fs::create_symlink("loop_b", www / "loop_a");
    fs::create_symlink("loop_a", www / "loop_b");
    fs::create_symlink("self", www / "self");
    fs::create_symlink("deeper/x", www / "deeper");
  }
  void TearDown() override {
    server_test::TearDown();
    if (!base_.empty()) fs::remove_all(base_);
  }

  // The server on the root, through the seccomp filter for the ":walk" variants.
  void serve(std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"--root", (base_ / "www").string()});
    start(std::move(flags), walk() ? std::vector<std::string>{WEB_SERVER_WITHOUT_OPENAT2}
                                   : std::vector<std::string>{});
  }
  bool walk() const { return std::string_view(GetParam()).ends_with(":walk"); }

  // The resolver the server said it uses at start-up (the line is written before it accepts,
  // so after any answer it is in the log).
  void expect_resolver() {
    const std::string expected = walk() ? "(component walk)" : "(openat2)";
    EXPECT_NE(server().log().find(expected), std::string::npos) << server().log();
  }

  http_response get(std::string_view target) {
    const auto r = fetch(port(), target);
    EXPECT_TRUE(r) << target << ": no answer";
    return r ? *r : http_response{};
  }

  fs::path base_;
};

const std::string hello = "hello from a file\n";

TEST_P(symlinks, links_out_of_the_root_are_refused) {
  serve();
  for (const char* target : {"/to_file", "/to_file_absolute", "/sub/to_file_nested", "/to_passwd",
                             "/to_dir/file.txt", "/to_dir_absolute/file.txt", "/to_dir/",
                             "/linked_index/", "/out_and_back", "/absolute_inside"}) {
    const http_response r = get(target);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(r.body, "forbidden\n") << target;
  }
  // Whether the target exists is not told: a link to nothing gets the same answer.
  for (const char* target : {"/to_missing", "/to_missing_absolute"}) {
    const http_response r = get(target);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(r.body, "forbidden\n") << target;
  }
  EXPECT_EQ(get("/hello.txt").body, hello);
  expect_resolver();
}

TEST_P(symlinks, links_that_stay_inside_are_served) {
  serve();
  for (const char* target : {"/in_file", "/in_chain", "/sub/up_inside", "/in_dir/../hello.txt"}) {
    const http_response r = get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, hello) << target;
  }
  EXPECT_EQ(get("/in_dir/").body, "<h1>sub index</h1>\n");
  EXPECT_EQ(get("/in_dir").body, "<h1>sub index</h1>\n");
  EXPECT_EQ(get("/in_dir/page.txt").body, "a page in sub\n");
  EXPECT_EQ(get("/sub/round_trip").body, "a page in sub\n");
  EXPECT_EQ(get("/in_dir/nothing.txt").status, 404);
  EXPECT_EQ(get("/in_file/more").status, 404);
  // Through a link, a file keeps its validators, ranges and HEAD.
  const http_response whole = get("/in_chain");
  EXPECT_EQ(whole.header("etag"), get("/hello.txt").header("etag"));
  raw_connection c(port());
  ASSERT_TRUE(
      c.send("GET /in_file HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n"
             "HEAD /in_dir/page.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto part = c.read_response();
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "hello");
  const auto head = c.read_response(20s, true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "14");
  expect_resolver();
}

TEST_P(symlinks, loops_end_in_an_error_not_a_hang) {
  serve();
  for (const char* target : {"/loop_a", "/loop_b", "/self", "/loop_a/x", "/deeper", "/self/"}) {
    const http_response r = get(target);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(r.body, "forbidden\n") << target;
  }
  EXPECT_EQ(get("/hello.txt").body, hello);  // and the server goes on
  expect_resolver();
}

TEST_P(symlinks, follow_symlinks_serves_links_out_of_the_root) {
  serve({"--follow-symlinks"});
  for (const char* target : {"/to_file", "/to_file_absolute", "/sub/to_file_nested",
                             "/linked_index/", "/linked_index"}) {
    const http_response r = get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, "TOP SECRET\n") << target;
  }
  EXPECT_EQ(get("/to_dir/file.txt").body, "TOP SECRET in a directory\n");
  EXPECT_EQ(get("/to_dir_absolute/file.txt").body, "TOP SECRET in a directory\n");
  const http_response passwd = get("/to_passwd");
  EXPECT_EQ(passwd.status, 200);
  EXPECT_EQ(passwd.body, read_file("/etc/passwd"));
  EXPECT_EQ(get("/out_and_back").body, hello);
  EXPECT_EQ(get("/absolute_inside").body, hello);
  EXPECT_EQ(get("/in_chain").body, hello);
  EXPECT_EQ(get("/to_missing").status, 404);
  // Loops still end, and ".." in the request itself is still refused before any lookup.
  EXPECT_EQ(get("/loop_a").status, 403);
  EXPECT_EQ(get("/self").status, 403);
  EXPECT_EQ(get("/../outside/secret.txt").status, 403);
  EXPECT_EQ(get("/%2e%2e/outside/secret.txt").status, 403);
  EXPECT_NE(server().log().find("symbolic links followed"), std::string::npos) << server().log();
}

// A client who can write under the root swaps links between inside and outside as fast as it
// can while it asks through them: the last name of the path ("race") and a directory on the way
// ("race_dir/file.txt"). Whatever the resolver, no answer carries a file from outside.
TEST_P(symlinks, links_swapped_during_requests_never_lead_out) {
  const fs::path www = base_ / "www";
  write_file(www / "sub" / "file.txt", "inside file\n");
  serve();
  std::atomic<bool> done{false};
  std::thread swapper([&] {
    for (unsigned i = 0; !done.load(std::memory_order_relaxed); ++i) {
      const bool in = i % 2 == 0;
      std::error_code ec;
      for (const auto& [name, inside, outside] :
           {std::tuple{"race", "hello.txt", "../outside/secret.txt"},
            std::tuple{"race_dir", "sub", "../outside/dir"}}) {
        const fs::path tmp = www / (std::string(name) + ".tmp");
        fs::remove(tmp, ec);
        fs::create_symlink(in ? inside : outside, tmp, ec);
        fs::rename(tmp, www / name, ec);  // atomic: the name always holds one of the two
      }
    }
  });
  raw_connection c(port());
  int inside = 0;
  int refused = 0;
  int leaked = 0;
  constexpr int requests = 2000;
  for (int i = 0; i < requests; ++i) {
    const bool file = i % 2 == 0;
    ASSERT_TRUE(c.send(get_request(file ? "/race" : "/race_dir/file.txt")));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    if (r->body.find("TOP SECRET") != std::string::npos) ++leaked;
    if (r->status == 200 && r->body == (file ? hello : "inside file\n")) ++inside;
    if (r->status == 403 || r->status == 404) ++refused;
  }
  done = true;
  swapper.join();
  EXPECT_EQ(leaked, 0);
  EXPECT_EQ(inside + refused, requests);
  EXPECT_GT(inside, 0);  // the race was run: both kinds of link were seen
  EXPECT_GT(refused, 0);
  expect_resolver();
}

INSTANTIATE_TEST_SUITE_P(backends, symlinks,
                         ::testing::Values("epoll", "uring", "epoll:walk", "uring:walk"),
                         [](const auto& case_info) {
                           std::string name = case_info.param;
                           std::replace(name.begin(), name.end(), ':', '_');
                           return name;
                         });

TEST(web_server_flags, follow_symlinks_needs_root) {
  const run_result r = run_program({server_binary(), "--follow-symlinks", "--port", "0"}, 30s);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--root"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace web_test
