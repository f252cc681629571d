// The Kafka edge across processes over the real protocol: doorstep-devbroker (a mock
// cluster), `doorstep serve --kafka`, and kcat as the other systems. Appeals become
// tickets and every event comes out in order per ticket; unusable messages land in the
// DLQ with the reason and never stall their partition; SIGKILLs while thousands of
// appeals stream in lose nothing and apply nothing twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "routing/rulebook.h"
#include "store/fsck.h"
#include "store/store.h"
#include "support/process.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using testing::child_process;
using testing::demo_config;
using testing::run_command;
using testing::temp_dir;

const fs::path kConfigDir = fs::path(DOORSTEP_SOURCE_DIR) / "config";

// A copy of the demo config whose consumer notices a killed member quickly.
fs::path fast_rejoin_config(const temp_dir& dir) {
  const auto out = dir.path() / "config";
  fs::create_directories(out);
  for (const auto& f : fs::directory_iterator(kConfigDir)) {
    if (f.is_regular_file()) fs::copy_file(f.path(), out / f.path().filename());
  }
  std::ifstream in(kConfigDir / "doorstep.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto yaml = text.str();
  const std::string from = "properties: {}";
  yaml.replace(yaml.find(from), from.size(), "properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}");
  std::ofstream(out / "doorstep.yaml") << yaml;
  return out / "doorstep.yaml";
}

class dev_broker_process {
 public:
  dev_broker_process() : p_({DOORSTEP_DEVBROKER, "--brokers", "3", "--partitions", "4"}) {
    auto line = p_.read_line();
    const std::string prefix = "doorstep-devbroker: bootstrap ";
    if (line && line->rfind(prefix, 0) == 0) bootstrap_ = line->substr(prefix.size());
  }
  ~dev_broker_process() {
    ::kill(p_.pid(), SIGTERM);
    p_.wait();
  }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  child_process p_;
  std::string bootstrap_;
};

class engine_process {
 public:
  engine_process(const fs::path& config, const fs::path& data, const std::string& bootstrap, const fs::path& log)
      : p_({DOORSTEP_BINARY, "--config", config.string(), "serve", "--listen", "127.0.0.1:0", "--data", data.string(),
            "--kafka", bootstrap},
           log.string()) {
    while (auto line = p_.read_line()) {
      if (line->rfind("doorstep: serving", 0) == 0) {
        ready_ = true;
        break;
      }
    }
  }
  bool ready() const { return ready_; }
  void kill_hard() { p_.kill_hard(); }
  int stop() {
    ::kill(p_.pid(), SIGTERM);
    return p_.wait();
  }
  ~engine_process() {
    p_.kill_hard();
    p_.wait();
  }

 private:
  child_process p_;
  bool ready_ = false;
};

// "key\tvalue" lines, produced in order per key.
void produce(const std::string& bootstrap, const std::string& topic, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  auto r = run_command({DOORSTEP_KCAT, "-b", bootstrap, "-P", "-t", topic, "-K", "\t", "-z", "lz4"}, text);
  ASSERT_EQ(r.code, 0) << "kcat could not produce to " << topic;
}

struct consumed {
  std::string key;
  std::map<std::string, std::string> headers;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string value;
};

// Every message of a topic, partition by partition in offset order. Headers, key and
// value are printed with unit separators so Chinese text and commas survive.
std::vector<consumed> consume(const std::string& bootstrap, const std::string& topic) {
  auto r = run_command({DOORSTEP_KCAT, "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f",
                        "%p\x1f%o\x1f%k\x1f%h\x1f%s\x1e\n"});
  std::vector<consumed> out;
  std::stringstream in(r.out);
  for (std::string rec; std::getline(in, rec, '\x1e');) {
    if (!rec.empty() && rec.front() == '\n') rec.erase(0, 1);
    if (rec.empty()) continue;
    std::vector<std::string> f;
    std::stringstream fields(rec);
    for (std::string x; std::getline(fields, x, '\x1f');) f.push_back(x);
    if (f.size() < 5) continue;
    consumed c;
    c.partition = std::stoi(f[0]);
    c.offset = std::stoll(f[1]);
    c.key = f[2];
    // kcat prints headers as name=value,name=value; our values are the last field's
    // only free text (the reason), so split on ",doorstep." boundaries.
    std::string h = f[3];
    std::size_t pos = 0;
    while (pos < h.size()) {
      auto next = h.find(",doorstep.", pos);
      auto item = h.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
      auto eq = item.find('=');
      if (eq != std::string::npos) c.headers[item.substr(0, eq)] = item.substr(eq + 1);
      if (next == std::string::npos) break;
      pos = next + 1;
    }
    c.value = f[4];
    out.push_back(std::move(c));
  }
  return out;
}

std::string header(const consumed& c, const std::string& name) {
  auto it = c.headers.find(name);
  return it == c.headers.end() ? std::string{} : it->second;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return pred();
}

// Buildings of the demo with their community (the message key).
std::vector<std::pair<std::string, std::string>> buildings() {
  const auto& rules = *demo_config().rules;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [id, n] : rules.tree().nodes()) {
    if (n.kind != routing::node_kind::building) continue;
    auto community = rules.community_of(id);
    if (community) out.emplace_back(id, *community);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<std::string> kCategories{"street_light", "small_ads", "garbage", "noise", "water_outage", "road_surface"};
const std::vector<std::string> kWords{"楼道灯不亮了", "单元门口贴满小广告", "垃圾桶满了没人清", "楼上深夜装修噪音大",
                                      "整栋楼停水", "路面塌陷一个坑"};

std::string appeal_line(const std::string& source_id, const std::pair<std::string, std::string>& place, std::size_t kind) {
  json::object a{{"source_id", source_id},
                 {"category", kCategories[kind % kCategories.size()]},
                 {"description", kWords[kind % kWords.size()] + "（" + source_id + "）"},
                 {"location", json::object{{"jurisdiction_id", place.first}}},
                 {"resident", json::object{{"name", "李桂兰"}, {"phone", "13900001111"}}}};
  return place.second + "\t" + json::serialize(a);
}

// The appeals (source ids) the ticket events announce: received or joined.
std::map<std::string, std::string> announced_appeals(const std::vector<consumed>& events) {
  std::map<std::string, std::string> out;  // source id -> ticket id
  for (const auto& m : events) {
    auto v = json::parse(m.value).as_object();
    const auto type = std::string(v.at("type").as_string());
    if (type != "received" && type != "appeal_joined") continue;
    const auto& data = v.at("data").as_object();
    const auto& a = data.at("appeal").as_object();
    out[std::string(a.at("source_id").as_string())] = std::string(v.at("ticket_id").as_string());
  }
  return out;
}

class kafka_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(broker_.bootstrap().empty()) << "doorstep-devbroker did not start";
    config_ = fast_rejoin_config(dir_);
  }
  std::unique_ptr<engine_process> start_engine() {
    auto e = std::make_unique<engine_process>(config_, dir_.path() / "data", broker_.bootstrap(), dir_.path() / "engine.log");
    EXPECT_TRUE(e->ready()) << "the engine did not start; see " << (dir_.path() / "engine.log");
    return e;
  }
  std::vector<consumed> events() { return consume(broker_.bootstrap(), "doorstep.ticket-events.v1"); }
  std::string engine_log() {
    std::ifstream in(dir_.path() / "engine.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str().substr(0, 4000);
  }
  std::vector<consumed> dead_letters() { return consume(broker_.bootstrap(), "doorstep.dlq.v1"); }

  temp_dir dir_;
  dev_broker_process broker_;
  fs::path config_;
};

TEST_F(kafka_e2e, appeals_become_tickets_events_come_out_in_order_and_duplicates_are_absorbed) {
  auto engine = start_engine();
  const auto places = buildings();
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < 40; ++i) lines.push_back(appeal_line("12345-" + std::to_string(i), places[i % places.size()], i));
  for (std::size_t i = 0; i < 10; ++i) lines.push_back(lines[i]);  // the platform re-sends ten
  produce(broker_.bootstrap(), "doorstep.appeals.v1", lines);

  std::map<std::string, std::string> seen;
  ASSERT_TRUE(eventually([&] { return (seen = announced_appeals(events())).size() == 40; }, std::chrono::seconds(60)))
      << seen.size() << " of 40 appeals announced\n" << engine_log();

  // Each re-sent appeal was absorbed: no second ticket and no second join.
  const auto all = events();
  std::size_t announcements = 0;
  std::map<std::string, std::uint64_t> last_seq;
  for (const auto& m : all) {
    auto v = json::parse(m.value).as_object();
    const std::string type(v.at("type").as_string()), ticket(v.at("ticket_id").as_string());
    announcements += type == "received" || type == "appeal_joined";
    EXPECT_EQ(m.key, ticket) << "ticket events are keyed by ticket id";
    EXPECT_EQ(header(m, "doorstep.event_id"), std::string(v.at("event_id").as_string()));
    EXPECT_EQ(header(m, "doorstep.event_type"), type);
    const auto seq = static_cast<std::uint64_t>(v.at("seq").as_int64());
    EXPECT_EQ(seq, last_seq[ticket] + 1) << "events of " << ticket << " in order without gaps";
    last_seq[ticket] = seq;
  }
  EXPECT_EQ(announcements, 40u);

  // Another system acts on a ticket through the commands topic.
  std::string ticket;
  for (const auto& [source, t] : seen) {
    auto log = all;
    bool dispatched = std::any_of(log.begin(), log.end(), [&](const consumed& m) {
      return m.key == t && header(m, "doorstep.event_type") == "dispatched";
    });
    if (dispatched) {
      ticket = t;
      break;
    }
  }
  ASSERT_FALSE(ticket.empty());
  std::string community;
  for (const auto& l : lines) {
    auto tab = l.find('\t');
    if (seen[std::string(json::parse(l.substr(tab + 1)).at("source_id").as_string())] == ticket) community = l.substr(0, tab);
  }
  const std::string accept = R"({"command_id":"wy-1","ticket_id":")" + ticket + R"(","action":"accept","actor_id":"物业系统"})";
  const std::string contact = R"({"command_id":"wy-2","ticket_id":")" + ticket + R"(","action":"contact","note":"已电话联系居民"})";
  produce(broker_.bootstrap(), "doorstep.commands.v1", {community + "\t" + accept, community + "\t" + contact, community + "\t" + accept});
  ASSERT_TRUE(eventually(
      [&] {
        auto e = events();
        return std::count_if(e.begin(), e.end(), [&](const consumed& m) {
                 return m.key == ticket && header(m, "doorstep.event_type") == "contacted";
               }) == 1;
      },
      std::chrono::seconds(30)));
  auto after = events();
  EXPECT_EQ(std::count_if(after.begin(), after.end(),
                          [&](const consumed& m) { return m.key == ticket && header(m, "doorstep.event_type") == "accepted"; }),
            1)
      << "the repeated accept (same command_id) is absorbed";
  EXPECT_TRUE(dead_letters().empty());
  EXPECT_EQ(engine->stop(), 0);
}

TEST_F(kafka_e2e, unusable_messages_land_in_the_dlq_with_their_reason_and_never_stall_the_partition) {
  auto engine = start_engine();
  const auto places = buildings();
  const auto& home = places.front();  // every message on the same key: the same partition
  produce(broker_.bootstrap(), "doorstep.appeals.v1", {appeal_line("ok-1", home, 0)});
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(eventually([&] { return (seen = announced_appeals(events())).size() == 1; }, std::chrono::seconds(60)));
  const auto ticket = seen["ok-1"];

  struct bad {
    std::string topic, line, code;
  };
  const std::string k = home.second + "\t";
  const std::vector<bad> cases{
      {"doorstep.appeals.v1", k + "这不是JSON", "invalid_json"},
      {"doorstep.appeals.v1", k + R"({"source_id":"b-2","category":7,"description":"小广告"})", "schema_violation"},
      {"doorstep.appeals.v1",
       k + R"({"source_id":"b-3","category":"flying_saucer","description":"不明飞行物","location":{"jurisdiction_id":")" +
           home.first + R"("}})",
       "unknown_category"},
      {"doorstep.appeals.v1", "wrong-community\t" + appeal_line("b-4", home, 1).substr(k.size()), "wrong_key"},
      {"doorstep.appeals.v1", k + R"({"source_id":"b-5","description":")" + std::string(70000, 'x') + R"("})", "too_large"},
      {"doorstep.commands.v1", k + R"({"command_id":"b-6","ticket_id":"T20260101-000-999999","action":"accept"})",
       "not_found"},
      {"doorstep.commands.v1", k + R"({"command_id":"b-7","ticket_id":")" + ticket + R"(","action":"rate","score":5})",
       "illegal_transition"},
  };
  for (const auto& c : cases) produce(broker_.bootstrap(), c.topic, {c.line});
  // A keyless message (kcat without -K) and, after all of them, a good appeal.
  auto keyless = run_command({DOORSTEP_KCAT, "-b", broker_.bootstrap(), "-P", "-t", "doorstep.appeals.v1"}, "{\"x\":1}\n");
  ASSERT_EQ(keyless.code, 0);
  produce(broker_.bootstrap(), "doorstep.appeals.v1", {appeal_line("ok-2", home, 2)});

  std::vector<consumed> dlq;
  ASSERT_TRUE(eventually([&] { return (dlq = dead_letters()).size() == cases.size() + 1; }, std::chrono::seconds(60)))
      << dlq.size() << " dead letters";
  std::multiset<std::string> codes;
  for (const auto& d : dlq) {
    codes.insert(header(d, "doorstep.error.code"));
    EXPECT_FALSE(header(d, "doorstep.error.reason").empty());
    EXPECT_FALSE(header(d, "doorstep.source.topic").empty());
    EXPECT_FALSE(header(d, "doorstep.source.offset").empty());
    EXPECT_FALSE(header(d, "doorstep.source.partition").empty());
  }
  std::multiset<std::string> expected{"wrong_key"};  // the keyless one
  for (const auto& c : cases) expected.insert(c.code);
  EXPECT_EQ(codes, expected);
  // The payload is unchanged.
  const auto not_json = std::find_if(dlq.begin(), dlq.end(), [](const consumed& d) {
    return header(d, "doorstep.error.code") == "invalid_json";
  });
  ASSERT_NE(not_json, dlq.end());
  EXPECT_EQ(not_json->value, "这不是JSON");
  EXPECT_EQ(not_json->key, home.second);
  // The good appeal after the bad ones went through; the bad ones created nothing.
  ASSERT_TRUE(eventually([&] { return (seen = announced_appeals(events())).size() == 2; }, std::chrono::seconds(30)));
  EXPECT_TRUE(seen.count("ok-2"));
  EXPECT_EQ(engine->stop(), 0);
}

TEST_F(kafka_e2e, sigkill_while_appeals_stream_in_loses_nothing_and_applies_nothing_twice) {
  const auto places = buildings();
  std::mt19937 rng(20261123);
  constexpr std::size_t kAppeals = 2500;
  std::vector<std::string> lines;
  std::set<std::string> sources;
  for (std::size_t i = 0; i < kAppeals; ++i) {
    const auto source = "crash-" + std::to_string(i);
    sources.insert(source);
    lines.push_back(appeal_line(source, places[rng() % places.size()], rng()));
    if (i % 97 == 0) lines.push_back(lines.back());  // re-sent by the platform
    if (i % 211 == 0) lines.push_back(places[0].second + "\t{not json " + std::to_string(i));
  }
  // Half before the engine starts, half while it is being killed.
  const std::vector<std::string> first(lines.begin(), lines.begin() + static_cast<long>(lines.size() / 2));
  const std::vector<std::string> second(lines.begin() + static_cast<long>(lines.size() / 2), lines.end());
  produce(broker_.bootstrap(), "doorstep.appeals.v1", first);
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    produce(broker_.bootstrap(), "doorstep.appeals.v1", second);
  });
  for (int round = 0; round < 6; ++round) {
    auto engine = start_engine();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 2500)(rng)));
    engine->kill_hard();
  }
  late.join();
  auto engine = start_engine();
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(eventually([&] { return (seen = announced_appeals(events())).size() == kAppeals; }, std::chrono::seconds(180)))
      << seen.size() << " of " << kAppeals << " appeals announced";
  ASSERT_EQ(engine->stop(), 0);

  // The store: every appeal in exactly one ticket (as its origin or a join), consistent.
  auto fsck = run_command({DOORSTEP_BINARY, "--config", config_.string(), "fsck", "--data", (dir_.path() / "data").string()});
  EXPECT_EQ(fsck.code, 0) << fsck.out;
  auto st = store::store::open(dir_.path() / "data" / "store",
                               store::options{demo_config().engine.partitions, false, false, true});
  ASSERT_TRUE(st.ok()) << st.err().message;
  std::map<std::string, int> appeal_count;
  std::map<std::string, std::uint64_t> versions;
  EXPECT_TRUE((*st)->for_each_ticket([&](unsigned, const ticket& t) {
    ++appeal_count[t.origin.source_id];
    for (const auto& a : t.joined) ++appeal_count[a.source_id];
    versions[t.id] = t.version;
    return true;
  }).ok());
  EXPECT_EQ(appeal_count.size(), kAppeals);
  for (const auto& [source, n] : appeal_count) {
    EXPECT_EQ(n, 1) << source << " is in " << n << " tickets";
    EXPECT_TRUE(sources.count(source)) << source;
  }
  // The topic: every event of every ticket at least once, first occurrences in order.
  std::map<std::string, std::set<std::uint64_t>> published;
  std::map<std::string, std::uint64_t> highest;
  for (const auto& m : events()) {
    auto v = json::parse(m.value).as_object();
    const std::string id(v.at("ticket_id").as_string());
    const auto seq = static_cast<std::uint64_t>(v.at("seq").as_int64());
    if (!published[id].count(seq)) {
      EXPECT_EQ(seq, highest[id] + 1) << "first occurrences of " << id << "'s events are in order";
      highest[id] = std::max(highest[id], seq);
    }
    published[id].insert(seq);
  }
  for (const auto& [id, version] : versions) {
    EXPECT_EQ(published[id].size(), version) << id << ": every event published";
    EXPECT_EQ(highest[id], version) << id;
  }
  // Every unusable message is in the DLQ (at least once).
  std::set<std::string> dead;
  for (const auto& d : dead_letters()) dead.insert(d.value);
  std::size_t bad = 0;
  for (const auto& l : lines) bad += l.find("{not json") != std::string::npos;
  EXPECT_EQ(dead.size(), bad);
}

// Bad Kafka settings stop `serve` at once with a specific message and exit code 2.
TEST(kafka_cli, bad_kafka_settings_are_refused_at_start_naming_what_is_wrong) {
  temp_dir dir;
  auto run = [&](const fs::path& config, const std::string& where) {
    const auto log = dir.path() / "serve.err";
    child_process p({DOORSTEP_BINARY, "--config", config.string(), "serve", "--listen", "127.0.0.1:0", "--data",
                     (dir.path() / "data").string(), "--kafka", where},
                    log.string());
    const int code = p.wait();
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return std::make_pair(code, text.str());
  };
  const auto demo = kConfigDir / "doorstep.yaml";
  auto [code, err] = run(demo, "nonsense");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--kafka must be none, embedded or host:port"), std::string::npos) << err;

  auto with_properties = [&](const std::string& props) {
    const auto cfg = fast_rejoin_config(dir);
    std::ifstream in(cfg);
    std::stringstream text;
    text << in.rdbuf();
    auto yaml = text.str();
    const std::string from = "properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}";
    yaml.replace(yaml.find(from), from.size(), "properties: " + props);
    std::ofstream(cfg) << yaml;
    return cfg;
  };
  fs::remove_all(dir.path() / "config");
  auto cfg = with_properties("{no.such.property: 1}");
  std::tie(code, err) = run(cfg, "embedded");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find(cfg.string() + ":"), std::string::npos) << err;
  EXPECT_NE(err.find("kafka.properties.no.such.property"), std::string::npos) << err;
  EXPECT_NE(err.find("No such configuration property"), std::string::npos) << err;

  fs::remove_all(dir.path() / "config");
  cfg = with_properties("{enable.idempotence: false}");
  std::tie(code, err) = run(cfg, "embedded");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("kafka.properties.enable.idempotence: is set by Doorstep itself"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir.path() / "data")) << "bad settings are refused before anything is created";
}

}  // namespace
}  // namespace doorstep
