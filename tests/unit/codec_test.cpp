// tests/unit/codec_test.cpp
// JSON round trips of everything decide() produces: every event type, and the ticket at
// every step of its life, survive encode -> text -> parse -> decode unchanged. Chinese
// text is written as UTF-8, not \u escapes. The events come from real decide() calls on
// the shipped demo rulebook (see tests/unit/codec_command_test.cpp for inbound commands).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "domain/codec.h"
#include "domain/decide.h"
#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using testing::at;

const policy& rules() { return *testing::demo_config().rules; }

// --- field-by-field equality of event bodies -----------------------------------------------
auto key(const received_ev& e) { return std::tie(e.a, e.community_id); }
auto key(const triaged_ev& e) { return std::tie(e.category, e.jurisdiction_id, e.sev); }
auto key(const dispatched_ev& e) { return std::tie(e.to, e.unit_id, e.prio, e.sla_policy, e.rule_id, e.clocks); }
auto key(const accepted_ev&) { return std::tuple<>(); }
auto key(const contacted_ev& e) { return std::tie(e.note); }
auto key(const noted_ev& e) { return std::tie(e.text); }
auto key(const resolved_ev& e) { return std::tie(e.note, e.verify); }
auto key(const verified_ev& e) { return std::tie(e.note, e.auto_close_at); }
auto key(const verification_failed_ev& e) { return std::tie(e.note, e.resolve); }
auto key(const rated_ev& e) { return std::tie(e.score, e.comment); }
auto key(const closed_ev& e) { return std::tie(e.reason); }
auto key(const escalated_ev& e) { return std::tie(e.from, e.to, e.reason, e.unit_id, e.note, e.clocks); }
auto key(const returned_ev& e) { return std::tie(e.reason); }
auto key(const suspended_ev& e) { return std::tie(e.reason, e.clocks); }
auto key(const resumed_ev& e) { return std::tie(e.clocks); }
auto key(const merged_ev& e) { return std::tie(e.into); }
auto key(const absorbed_ev& e) { return std::tie(e.from, e.appeals); }
auto key(const cancelled_ev& e) { return std::tie(e.reason); }
auto key(const reopened_ev& e) { return std::tie(e.reason, e.clocks); }
auto key(const appeal_joined_ev& e) { return std::tie(e.a); }
auto key(const sla_at_risk_ev& e) { return std::tie(e.clock, e.ordinal, e.due); }
auto key(const sla_breached_ev& e) { return std::tie(e.clock, e.due); }

bool same(const event& a, const event& b) {
  if (a.ticket_id != b.ticket_id || a.seq != b.seq || a.at != b.at || !(a.by == b.by) ||
      a.causation != b.causation || a.body.index() != b.body.index()) {
    return false;
  }
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return key(x) == key(std::get<T>(b.body));
      },
      a.body);
}

// Names the fields in which two tickets differ (for failure messages).
std::string diff(const ticket& a, const ticket& b) {
  std::string out;
  const auto note = [&](bool differs, const char* name) {
    if (differs) out += std::string(out.empty() ? "" : ", ") + name;
  };
  note(a.id != b.id, "id");
  note(a.version != b.version, "version");
  note(a.st != b.st, "status");
  note(a.resume_to != b.resume_to, "resume_to");
  note(a.category != b.category || a.jurisdiction_id != b.jurisdiction_id || a.community_id != b.community_id,
       "classification");
  note(a.sev != b.sev || a.via != b.via, "severity/channel");
  note(!(a.origin == b.origin), "origin");
  note(a.joined != b.joined, "joined");
  note(a.lvl != b.lvl || a.unit_id != b.unit_id || a.entry_level != b.entry_level, "placement");
  note(a.prio != b.prio || a.sla_policy != b.sla_policy || a.rule_id != b.rule_id, "routing");
  for (auto k : kAllClocks) {
    const auto& x = a.clock(k);
    const auto& y = b.clock(k);
    if (x == y) continue;
    out += std::string(out.empty() ? "" : ", ") + "clock " + std::string(to_string(k));
    if (x.remaining != y.remaining) out += ".remaining";
    if (x.stopped_at != y.stopped_at) out += ".stopped_at";
    if (x.warn_at != y.warn_at) out += ".warn_at";
  }
  note(a.escalations != b.escalations, "escalations");
  note(a.returns != b.returns || a.rating != b.rating || a.verified != b.verified, "returns/rating/verified");
  note(a.merged_into != b.merged_into || a.merged_from != b.merged_from, "merges");
  note(a.created_at != b.created_at || a.updated_at != b.updated_at, "created/updated");
  note(a.accepted_at != b.accepted_at || a.contacted_at != b.contacted_at || a.resolved_at != b.resolved_at ||
           a.closed_at != b.closed_at || a.auto_close_at != b.auto_close_at,
       "milestones");
  return out;
}

// --- the events: a few lives of real tickets ------------------------------------------------
class story {
 public:
  story(std::string id, const std::string& place, const std::string& category, instant start)
      : id_(std::move(id)), now_(start) {
    auto c = testing::submit(place, category, "src-" + id_, "楼道里的灯坏了，晚上看不见路");
    c.ticket_id = id_;
    std::get<submit_cmd>(c.body).a.address = "润泰花园1号楼2单元";
    run(c);
  }
  void ok(command_body body, duration later = minutes(10)) {
    now_ += later;
    run(testing::action(id_, std::move(body)));
  }
  void fire_next() {
    const auto pending = pending_timers(t_);
    ASSERT_FALSE(pending.empty());
    now_ = pending.front().at;
    run(testing::action(id_, timer_fired_cmd{pending.front()}, role::system));
  }
  const std::vector<event>& log() const { return log_; }
  const std::vector<ticket>& snapshots() const { return snaps_; }
  const ticket& t() const { return t_; }

 private:
  void run(const command& c) {
    auto r = decide(t_, c, now_, rules());
    ASSERT_TRUE(r.ok()) << command_name(c.body) << ": " << r.err().code << " " << r.err().message;
    for (const auto& e : *r) {
      t_ = apply(t_, e);
      log_.push_back(e);
      snaps_.push_back(t_);
    }
  }
  std::string id_;
  instant now_;
  ticket t_;
  std::vector<event> log_;
  std::vector<ticket> snaps_;
};

appeal joining(const std::string& source) {
  appeal a;
  a.via = channel::qr_plate;
  a.category = "garbage";
  a.sev = severity::low;
  a.description = "扫网格服务牌反映：垃圾桶满了";
  a.jurisdiction_id = "runtai-huayuan-b1";
  a.resident = {"李建华", ""};
  a.source_id = source;
  a.reported_at = at(2026, 3, 4, 9, 59) + milliseconds(123);
  return a;
}

// Submit, contact, note, join, absorb, warning, breach + escalation, accept, resolve,
// failed verification, resolve, verify, rate + close, reopen + escalation.
story main_life() {
  story s("T-c1", "runtai-huayuan-b1", "garbage", at(2026, 3, 4, 10, 0) + milliseconds(250));
  s.ok(contact_cmd{"已电话联系王阿姨"});
  s.ok(note_cmd{"现场查看：垃圾桶已满，气味很大"});
  s.ok(submit_cmd{joining("src-j1")});
  s.ok(absorb_cmd{"T-c9", {joining("src-j2"), joining("src-j3")}});
  s.fire_next();  // accept warning 0
  s.fire_next();  // accept warning 1
  s.fire_next();  // accept breach -> escalated to the grid
  s.ok(accept_cmd{});
  s.ok(resolve_cmd{"已清运"});
  s.ok(verify_cmd{false, "仍有垃圾"});
  s.ok(resolve_cmd{"已彻底清运并消毒"});
  s.ok(verify_cmd{true, "网格员核查通过"});
  s.ok(rate_cmd{4, "处理及时，态度很好"});
  s.ok(reopen_cmd{"第二天又堆满了"}, hours(20));
  return s;
}

// Suspend and resume (the ticket itself is checked separately below).
story suspended_life() {
  story s("T-c2", "runtai-huayuan-b2", "noise", at(2026, 3, 6, 16, 0));
  s.ok(accept_cmd{});
  s.ok(suspend_cmd{"等待派出所协调"});
  s.ok(resume_cmd{}, hours(70));
  return s;
}

// Return, triage, cancel.
story returned_life() {
  story s("T-c3", "runtai-huayuan-b1", "garbage", at(2026, 3, 4, 10, 0));
  s.ok(return_cmd{"不属于楼栋长处理范围"});
  s.ok(triage_cmd{std::string("illegal_dumping"), std::string("runtai-xincun-b1"), severity::normal});
  s.ok(cancel_cmd{"居民已自行解决"});
  return s;
}

story merged_life() {
  story s("T-c4", "runtai-huayuan-b1", "gas_smell", at(2026, 3, 1, 21, 0));
  s.ok(merge_cmd{"T-c1"});
  return s;
}

std::vector<event> all_events() {
  std::vector<event> out;
  for (const auto& s : {main_life(), suspended_life(), returned_life(), merged_life()}) {
    out.insert(out.end(), s.log().begin(), s.log().end());
  }
  return out;
}

result<event> through_text(const event& e) {
  auto v = codec::parse(codec::to_text(codec::encode(e)));
  if (!v) return v.err();
  return codec::decode_event(*v);
}

TEST(codec, the_sample_lives_produce_every_event_type) {
  std::set<std::string> seen;
  for (const auto& e : all_events()) seen.insert(std::string(event_type(e.body)));
  EXPECT_EQ(seen.size(), std::variant_size_v<event_body>);
}

TEST(codec, every_event_type_decodes_to_the_event_it_was_encoded_from) {
  for (const auto& e : all_events()) {
    const auto direct = codec::decode_event(codec::encode(e));
    ASSERT_TRUE(direct.ok()) << event_type(e.body) << ": " << direct.err().message;
    EXPECT_TRUE(same(*direct, e)) << codec::to_text(codec::encode(e));
    const auto text = through_text(e);
    ASSERT_TRUE(text.ok()) << event_type(e.body) << ": " << text.err().message;
    EXPECT_TRUE(same(*text, e)) << codec::to_text(codec::encode(e));
  }
}

TEST(codec, event_envelope_carries_id_type_schema_version_and_actor) {
  const auto log = main_life().log();
  const auto o = codec::encode(log[1]);
  EXPECT_EQ(o.at("event_id").as_string(), "T-c1/2");
  EXPECT_EQ(o.at("type").as_string(), "dispatched");
  EXPECT_EQ(o.at("schema_version").as_int64(), kEventSchemaVersion);
  EXPECT_EQ(o.at("actor").at("role").as_string(), "operator");
  // 10:00:00.250 local keeps its milliseconds on the wire.
  EXPECT_EQ(o.at("at").as_string(), "2026-03-04T10:00:00.250+08:00");
}

TEST(codec, a_decoded_log_folds_to_the_same_ticket) {
  for (const auto& s : {main_life(), returned_life(), merged_life()}) {
    std::vector<event> decoded;
    for (const auto& e : s.log()) {
      auto d = through_text(e);
      ASSERT_TRUE(d.ok());
      decoded.push_back(*d);
    }
    EXPECT_TRUE(fold(decoded) == s.t()) << diff(fold(decoded), s.t());
  }
}

TEST(codec, the_ticket_at_every_step_round_trips) {
  for (const auto& s : {main_life(), returned_life(), merged_life()}) {
    for (const auto& t : s.snapshots()) {
      const auto direct = codec::decode_ticket(codec::encode(t));
      ASSERT_TRUE(direct.ok()) << direct.err().message;
      EXPECT_TRUE(*direct == t) << diff(*direct, t) << " in " << codec::to_text(codec::encode(t));
      auto v = codec::parse(codec::to_text(codec::encode(t)));
      ASSERT_TRUE(v.ok());
      const auto text = codec::decode_ticket(*v);
      ASSERT_TRUE(text.ok()) << text.err().message;
      EXPECT_TRUE(*text == t) << diff(*text, t);
    }
  }
}

TEST(codec, a_suspended_ticket_round_trips_with_its_paused_clocks) {
  const auto s = suspended_life();
  const ticket& suspended = s.snapshots()[s.snapshots().size() - 2];
  ASSERT_EQ(suspended.st, status::suspended);
  ASSERT_EQ(suspended.clock(clock_kind::resolve).state, clock_state::paused);
  const auto back = codec::decode_ticket(codec::encode(suspended));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == suspended) << diff(*back, suspended);
  EXPECT_EQ(back->resume_to, status::accepted);
}

TEST(codec, a_resumed_ticket_round_trips) {
  const auto s = suspended_life();
  const ticket& resumed = s.t();
  ASSERT_EQ(resumed.st, status::accepted);
  const auto back = codec::decode_ticket(codec::encode(resumed));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == resumed) << diff(*back, resumed);
}

TEST(codec, a_ticket_cancelled_while_suspended_round_trips) {
  story s("T-c5", "runtai-huayuan-b1", "garbage", at(2026, 3, 4, 10, 0));
  s.ok(suspend_cmd{"等待物业配合"});
  s.ok(cancel_cmd{"居民撤回"});
  ASSERT_EQ(s.t().st, status::cancelled);
  const auto back = codec::decode_ticket(codec::encode(s.t()));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == s.t()) << diff(*back, s.t());
}

TEST(codec, chinese_text_is_written_verbatim_as_utf8) {
  const auto log = main_life().log();
  const std::string received = codec::to_text(codec::encode(log[0]));
  EXPECT_NE(received.find("楼道里的灯坏了，晚上看不见路"), std::string::npos) << received;
  EXPECT_NE(received.find("\"name\":\"王秀英\""), std::string::npos) << received;
  EXPECT_NE(received.find("润泰花园1号楼2单元"), std::string::npos) << received;
  EXPECT_EQ(received.find("\\u"), std::string::npos) << received;
  const std::string ticket_text = codec::to_text(codec::encode(main_life().t()));
  EXPECT_NE(ticket_text.find("扫网格服务牌反映：垃圾桶满了"), std::string::npos) << ticket_text;
  EXPECT_NE(ticket_text.find("\"name\":\"李建华\""), std::string::npos) << ticket_text;
  EXPECT_EQ(ticket_text.find("\\u"), std::string::npos);
}

// The store writes to_text() directly; it must be the very text Boost.JSON prints for
// the same document (field order, escaping, numbers), so readers and the schemas see
// one encoding whichever path produced it.
TEST(codec, direct_text_is_what_boost_json_prints_for_every_event_and_ticket) {
  for (const auto& e : all_events()) {
    const auto text = codec::to_text(e);
    EXPECT_EQ(text, codec::json::serialize(codec::json::parse(text))) << text;
    EXPECT_EQ(text, codec::json::serialize(codec::encode(e)));
  }
  for (const auto& s : {main_life(), suspended_life(), returned_life(), merged_life()}) {
    for (const auto& t : s.snapshots()) {
      const auto text = codec::to_text(t);
      EXPECT_EQ(text, codec::json::serialize(codec::json::parse(text))) << text;
    }
  }
}

TEST(codec, strings_are_escaped_exactly_as_boost_json_escapes_them) {
  appeal a;
  a.category = "noise";
  a.jurisdiction_id = "runtai-huayuan-b1";
  a.description = std::string("引号\"反斜杠\\换行\n制表\t回车\r退格\b换页\f") + '\x01' + '\x1f' + '\x7f' +
                  "/斜杠 😀 end";
  a.resident = {"王\"秀英", "138\u2028"};
  const auto text = codec::to_text(a);
  EXPECT_EQ(text, codec::json::serialize(codec::json::parse(text))) << text;
  EXPECT_NE(text.find("\\u0001"), std::string::npos) << text;  // control characters as \u00xx, lower-case hex
  EXPECT_NE(text.find("\\u001f"), std::string::npos) << text;
  auto back = codec::decode_appeal(codec::json::parse(text));
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(back->description, a.description);
  EXPECT_EQ(back->resident, a.resident);
}

TEST(codec, random_strings_are_escaped_as_boost_json_escapes_them_at_any_position) {
  // Escapes land anywhere relative to the encoder's 16- and 8-byte fast paths.
  const std::vector<std::string> pieces = {"a", "Z", " ", "\"", "\\", "\n", "\t", std::string(1, '\0'), "\x01", "\x1f",
                                           "\x7f", "/", "网", "格", "😀", "0123456"};
  std::mt19937 rng(6);
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    appeal a;
    a.category = "noise";
    a.jurisdiction_id = "runtai-huayuan-b1";
    a.description = s;
    const auto text = codec::to_text(a);
    ASSERT_EQ(text, codec::json::serialize(codec::json::parse(text))) << text;
    ASSERT_EQ(codec::json::parse(text).at("description").as_string(), s);
  }
}

// The writer sizes its buffer from a guess (512 bytes for an appeal) and grows it when a
// member does not fit: at an escape, inside a clean run, at a name or a number.
TEST(codec, text_longer_than_the_writers_first_guess_is_written_whole) {
  const std::vector<std::string> pieces = {"\n", "\"", "网格员反映", "\x01", "a", "0123456789abcdef"};
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::string s;
    const int n = 100 + static_cast<int>(rng() % 1500);
    for (int k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    appeal a;
    a.category = "noise";
    a.jurisdiction_id = "runtai-huayuan-b1";
    a.description = s;
    a.address = std::string(rng() % 700, 'x');
    a.resident = {"王秀英", "13800000000"};
    a.source_id = "hotline-" + std::to_string(i);
    a.reported_at = from_millis(1767225600000 + i);
    const auto text = codec::to_text(a);
    ASSERT_EQ(text, codec::json::serialize(codec::json::parse(text))) << text.size();
    auto back = codec::decode_appeal(codec::json::parse(text));
    ASSERT_TRUE(back.ok()) << back.err().message;
    ASSERT_EQ(back->description, s);
    ASSERT_EQ(back->address, a.address);
  }
  // A ticket holding many joined appeals outgrows its guess too.
  auto t = main_life().t();
  for (int i = 0; i < 40; ++i) {
    appeal a = t.origin;
    a.description = std::string(300, '\\') + "楼道灯坏了" + std::to_string(i);
    t.joined.push_back(a);
  }
  const auto text = codec::to_text(t);
  EXPECT_EQ(text, codec::json::serialize(codec::encode(t)));
  const auto back = codec::decode_ticket(codec::json::parse(text).as_object());
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_TRUE(*back == t) << diff(*back, t);
}

// The store's form of a snapshot counts the joined appeals instead of holding them (the
// store keeps them one row each); the rest is to_text()'s, and it decodes to the ticket
// without them. A reader that expects the whole ticket is told, not handed a part.
TEST(codec, a_snapshot_counts_its_joined_appeals_and_holds_the_rest) {
  auto t = main_life().t();
  for (int i = 0; i < 3; ++i) {
    appeal a = t.origin;
    a.description = "三号楼楼道灯坏了，第" + std::to_string(i + 2) + "位邻居反映";
    a.source_id = "join-" + std::to_string(i);
    t.joined.push_back(a);
  }
  const auto count = t.joined.size();
  const auto snapshot = codec::to_snapshot_text(t);
  EXPECT_EQ(snapshot.find("\"joined\""), std::string::npos) << snapshot;
  EXPECT_EQ(snapshot.find("邻居反映"), std::string::npos) << snapshot;
  EXPECT_NE(snapshot.find("\"joined_count\":" + std::to_string(count) + ","), std::string::npos) << snapshot;
  std::size_t apart = 99;
  auto back = codec::decode_snapshot_text(snapshot, apart);
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(apart, count);
  EXPECT_TRUE(back->joined.empty());
  back->joined = t.joined;
  EXPECT_TRUE(*back == t) << diff(*back, t);

  const auto whole = codec::decode_ticket_text(snapshot);
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.err().field, "joined_count");
  EXPECT_NE(whole.err().message.find(std::to_string(count) + " joined appeals are stored apart"), std::string::npos)
      << whole.err().message;

  // The older form (appeals inline) still reads as a snapshot, nothing apart.
  back = codec::decode_snapshot_text(codec::to_text(t), apart);
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(apart, 0u);
  EXPECT_TRUE(*back == t) << diff(*back, t);
  // Without joined appeals the snapshot form is whole.
  t.joined.clear();
  const auto alone = codec::decode_ticket_text(codec::to_snapshot_text(t));
  ASSERT_TRUE(alone.ok()) << alone.err().message;
  EXPECT_TRUE(*alone == t) << diff(*alone, t);
  // Both forms at once, or a negative count, is not a snapshot.
  auto both = codec::encode(t);
  both["joined"] = codec::json::array();
  both["joined_count"] = 0;
  EXPECT_FALSE(codec::decode_snapshot_text(codec::json::serialize(both), apart).ok());
  both.erase("joined");
  both["joined_count"] = -1;
  EXPECT_FALSE(codec::decode_snapshot_text(codec::json::serialize(both), apart).ok());
}

// The writer reuses the text of an instant it has just written: repeated, alternating
// and distinct instants (and the epoch itself, first) each come out as their own text.
TEST(codec, repeated_and_alternating_instants_are_each_written_as_themselves) {
  const auto a = at(2026, 2, 14, 9), b = a + milliseconds(1);
  sla_clock c;
  c.state = clock_state::stopped;
  c.started = instant{};
  c.due = instant{};
  c.warn_at = {a, a, b, instant{}, b};
  c.stopped_at = b;
  const auto text = codec::to_text(c);
  const auto ta = format_rfc3339(a), tb = format_rfc3339(b), t0 = format_rfc3339(instant{});
  EXPECT_NE(text.find("\"started\":\"" + t0 + "\",\"due\":\"" + t0 + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"warn_at\":[\"" + ta + "\",\"" + ta + "\",\"" + tb + "\",\"" + t0 + "\",\"" + tb + "\"]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"stopped_at\":\"" + tb + "\""), std::string::npos) << text;
  const auto back = codec::decode_clock(codec::json::parse(text));
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(back->warn_at, c.warn_at);
  EXPECT_EQ(back->stopped_at, b);
}

// The encoders copy enum names and event types without escaping them (text_writer::word):
// every such name must be a plain lowercase ASCII word.
TEST(codec, every_name_written_unescaped_is_a_plain_word) {
  const auto plain = [](std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  };
  std::size_t checked = 0;
  const auto each = [&](auto name_of) {
    for (int i = 0;; ++i) {
      std::string_view n;
      try {
        n = name_of(i);
      } catch (const std::out_of_range&) {
        return;
      }
      EXPECT_TRUE(plain(n)) << n;
      ++checked;
    }
  };
  each([](int i) { return to_string(static_cast<status>(i)); });
  each([](int i) { return to_string(static_cast<level>(i)); });
  each([](int i) { return to_string(static_cast<channel>(i)); });
  each([](int i) { return to_string(static_cast<severity>(i)); });
  each([](int i) { return to_string(static_cast<priority>(i)); });
  each([](int i) { return to_string(static_cast<escalation_reason>(i)); });
  each([](int i) { return to_string(static_cast<clock_kind>(i)); });
  each([](int i) { return to_string(static_cast<role>(i)); });
  EXPECT_GT(checked, 30u);
  for (const auto& e : all_events()) EXPECT_TRUE(plain(event_type(e.body))) << event_type(e.body);
}

TEST(codec, decode_event_rejects_an_unknown_type_and_a_bad_time) {
  auto o = codec::encode(main_life().log()[0]);
  o["type"] = "teleported";
  auto r = codec::decode_event(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "invalid_field");
  EXPECT_EQ(r.err().field, "type");
  o = codec::encode(main_life().log()[0]);
  o["at"] = "2026-02-30T10:00:00+08:00";
  r = codec::decode_event(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().field, "at");
  o = codec::encode(main_life().log()[0]);
  o["data"].as_object()["appeal"].as_object()["location"].as_object().erase("jurisdiction_id");
  o["data"].as_object()["appeal"].as_object()["location"].as_object().erase("address");
  r = codec::decode_event(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "missing_field");
  EXPECT_EQ(r.err().field, "location.jurisdiction_id");
}

}  // namespace
}  // namespace doorstep
