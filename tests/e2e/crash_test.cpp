// Crash test: the doorstep binary is SIGKILLed at random points while a stream of
// timed commands flows in; after each restart the stream is re-sent from the start
// (as a real client retries what it had no answer for). At the end every command is
// present exactly once, the consistency checker passes, and every deadline fired
// exactly once.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "cli/generate.h"
#include "domain/codec.h"
#include "store/store.h"
#include "support/process.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

namespace json = boost::json;
using testing::child_process;
using testing::demo_config;
using testing::temp_dir;

const std::string kConfig = std::string(DOORSTEP_SOURCE_DIR) + "/config/doorstep.yaml";
constexpr const char* kUntil = "2026-12-31T00:00:00+08:00";

std::vector<std::string> sample_lines(std::size_t appeals, std::uint64_t seed) {
  cli::generate_options opts;
  opts.appeals = appeals;
  opts.days = 10;
  opts.seed = seed;
  opts.from = testing::at(2026, 2, 9);
  std::stringstream out;
  cli::generate(*demo_config().rules, opts, out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(out, l);) lines.push_back(l + "\n");
  return lines;
}

std::vector<std::string> simulate_args(const temp_dir& dir, bool until) {
  std::vector<std::string> args{DOORSTEP_BINARY, "--config", kConfig, "simulate", "--input", "-",
                                "--data", (dir.path() / "db").string(), "--acks"};
  if (until) {
    args.push_back("--until");
    args.push_back(kUntil);
  }
  return args;
}

// Streams every line into a child and kills it after `kill_after` acknowledgements
// (plus a random few hundred microseconds, to land inside a commit too). Returns the
// acknowledgements received before the kill.
std::vector<json::object> run_and_kill(const temp_dir& dir, const std::vector<std::string>& lines,
                                       std::size_t kill_after, std::mt19937& rng) {
  child_process child(simulate_args(dir, false), (dir.path() / "stderr.log").string());
  std::thread writer([&] {
    for (const auto& l : lines) {
      if (!child.write(l)) break;
    }
    child.close_stdin();
  });
  std::vector<json::object> acks;
  while (auto line = child.read_line()) {
    acks.push_back(json::parse(*line).as_object());
    if (acks.size() == kill_after) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
      child.kill_hard();
      break;
    }
  }
  child.kill_hard();
  child.wait();
  writer.join();
  return acks;
}

TEST(crash, sigkill_at_random_points_loses_nothing_acknowledged_and_fires_each_deadline_once) {
  temp_dir dir;
  const auto lines = sample_lines(400, 7);
  std::mt19937 rng(20260214);
  std::set<std::string> acknowledged;  // ids of commands acknowledged as applied
  const int kills = 20;
  for (int round = 0; round < kills; ++round) {
    const auto kill_after = std::uniform_int_distribution<std::size_t>(1, lines.size() - 1)(rng);
    for (const auto& a : run_and_kill(dir, lines, kill_after, rng)) {
      if (a.at("ok").as_bool()) acknowledged.insert(std::string(a.at("id").as_string()));
    }
  }
  // The last run completes the stream and lets every deadline fall due.
  child_process last(simulate_args(dir, true), (dir.path() / "stderr.log").string());
  std::thread writer([&] {
    for (const auto& l : lines) last.write(l);
    last.close_stdin();
  });
  std::size_t final_acks = 0;
  while (auto line = last.read_line()) {
    auto a = json::parse(*line).as_object();
    ++final_acks;
    if (a.at("ok").as_bool()) acknowledged.insert(std::string(a.at("id").as_string()));
  }
  writer.join();
  ASSERT_EQ(last.wait(), 0);
  EXPECT_EQ(final_acks, lines.size());

  auto fsck = testing::run_command({DOORSTEP_BINARY, "--config", kConfig, "fsck", "--data", (dir.path() / "db").string()});
  EXPECT_EQ(fsck.code, 0) << fsck.out;

  auto opened = store::store::open(dir.path() / "db" / "store", store::options{demo_config().engine.partitions, false, false, true});
  ASSERT_TRUE(opened.ok()) << opened.err().message;
  const auto& st = **opened;

  // Every appeal of the stream is in exactly one ticket, exactly once.
  std::map<std::string, int> appeal_seen;
  std::map<std::string, std::set<std::string>> causations;  // command id -> tickets it touched
  std::size_t duplicated_events = 0, duplicated_timers = 0;
  EXPECT_TRUE(st.for_each_ticket([&](unsigned, const ticket& t) {
    ++appeal_seen[t.origin.source_id];
    for (const auto& a : t.joined) ++appeal_seen[a.source_id];
    auto log = st.load_events(t.id);
    EXPECT_TRUE(log.ok());
    std::set<std::pair<std::string, std::string>> seen;  // (causation, type)
    for (const auto& e : *log) {
      causations[e.causation].insert(t.id);
      if (!seen.insert({e.causation, std::string(event_type(e.body))}).second) ++duplicated_events;
      if (e.causation.rfind("timer:", 0) == 0 && event_type(e.body) != "escalated" &&
          event_type(e.body) != "sla_at_risk" && event_type(e.body) != "sla_breached" &&
          event_type(e.body) != "closed") {
        ++duplicated_timers;  // a timer may only warn, breach, escalate or auto-close
      }
    }
    return true;
  }).ok());
  EXPECT_EQ(duplicated_events, 0u);
  EXPECT_EQ(duplicated_timers, 0u);
  std::size_t submits = 0;
  for (const auto& l : lines) {
    auto o = json::parse(l).as_object();
    const std::string id(o.at("id").as_string());
    if (o.at("command").as_string() == "submit") {
      ++submits;
      EXPECT_EQ(appeal_seen[std::string(o.at("source_id").as_string())], 1) << l;
    } else if (acknowledged.count(id)) {
      EXPECT_EQ(causations[id].size(), 1u) << "acknowledged action " << id << " is missing or applied twice";
    }
  }
  EXPECT_GT(submits, 200u);

  // Every deadline before --until fired: nothing pending is due before it.
  const auto until = *parse_rfc3339(kUntil);
  for (unsigned p = 0; p < st.partitions(); ++p) {
    auto first = st.first_timer(p);
    ASSERT_TRUE(first.ok()) << first.err().message;
    if (*first) {
      EXPECT_GT((*first)->timer.at, until);
    }
  }
}

}  // namespace
}  // namespace doorstep
