// The query indexes (store/rows.h) against what they replace: a generated season of
// appeals and handler actions runs through the real engine on the simulated clock
// (escalations, breaches, ratings, merges), then the worklist rows, the stats rows and
// the summary built from them are compared with snapshots and event logs read directly.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/views.h"
#include "cli/generate.h"
#include "cli/simulate.h"
#include "stats/summary.h"
#include "store/fsck.h"
#include "store/keys.h"
#include "store/rows.h"
#include "store/store.h"
#include "support/test_support.h"

namespace doorstep {
namespace {
using namespace testing;

// The summary as the engine computed it before the indexes: every snapshot and every
// event log, read and folded here. The oracle for the index-driven compute_summary.
stats::summary reference_summary(const store::store& s, const routing::rulebook& rules, const stats::filter& f) {
  stats::summary out;
  auto count = [](stats::rates& r, const ticket& t, bool response_due, bool response_breached,
                  const std::array<bool, kClockCount>& breached) {
    if (t.st == status::merged || t.st == status::cancelled) return;
    ++r.tickets;
    if (response_due) {
      ++r.response_due;
      if (!response_breached) ++r.responded_on_time;
    }
    if (t.st == status::closed) ++r.closed;
    if (t.rating) {
      ++r.rated;
      if (*t.rating >= 4) ++r.satisfied;
    }
    for (auto k : kAllClocks) {
      const auto i = static_cast<std::size_t>(k);
      const auto& c = t.clock(k);
      if (breached[i]) {
        ++r.clock_due[i];
      } else if (c.state == clock_state::stopped) {
        ++r.clock_due[i];
        if (c.stopped_at <= c.due) ++r.clock_met[i];
      }
    }
    for (const auto& e : t.escalations) ++r.escalations[std::string(to_string(e.reason))];
  };
  auto name_of = [&](const std::string& id) {
    const auto* n = rules.tree().find(id);
    return n ? n->name : id;
  };
  EXPECT_TRUE(s.for_each_ticket([&](unsigned, const ticket& t) {
    if (f.created_from && t.created_at < *f.created_from) return true;
    if (f.created_to && t.created_at >= *f.created_to) return true;
    if (!f.jurisdiction.empty() && !rules.tree().in_subtree(t.jurisdiction_id, f.jurisdiction)) return true;
    ++out.tickets;
    out.appeals += 1 + t.joined.size();
    ++out.by_status[std::string(to_string(t.st))];
    const std::string lvl(t.lvl ? to_string(*t.lvl) : "none");
    ++out.by_level[lvl];
    ++out.by_entry_level[std::string(to_string(t.entry_level))];
    bool response_due = false, response_breached = false;
    std::array<bool, kClockCount> breached{};
    std::optional<level> at;
    auto log = s.load_events(t.id);
    EXPECT_TRUE(log.ok());
    for (const auto& e : *log) {
      ++out.events;
      if (const auto* d = std::get_if<dispatched_ev>(&e.body)) at = d->to;
      if (const auto* x = std::get_if<escalated_ev>(&e.body)) {
        at = x->to;
        ++out.escalations[std::string(to_string(x->reason))];
      }
      if (std::holds_alternative<accepted_ev>(e.body)) response_due = true;
      if (const auto* b = std::get_if<sla_breached_ev>(&e.body)) {
        ++out.breaches[std::string(at ? to_string(*at) : "none") + "/" + std::string(to_string(b->clock))];
        breached[static_cast<std::size_t>(b->clock)] = true;
        if (b->clock == clock_kind::accept || b->clock == clock_kind::contact) response_due = response_breached = true;
      }
    }
    count(out.overall, t, response_due, response_breached, breached);
    const auto street = name_of(rules.street_of(t.jurisdiction_id));
    count(out.by_street[street], t, response_due, response_breached, breached);
    count(out.by_community[street + " / " + name_of(t.community_id)], t, response_due, response_breached, breached);
    count(out.by_unit[t.unit_id.empty() ? "(triage)" : t.unit_id], t, response_due, response_breached, breached);
    count(out.by_level_rates[lvl], t, response_due, response_breached, breached);
    if (t.joined.size() >= rules.duplicates().hot_spot_joins && is_open(t.st)) {
      out.hot_spots.push_back({t.id, t.jurisdiction_id, t.category, t.joined.size() + 1});
    }
    return true;
  }).ok());
  std::sort(out.hot_spots.begin(), out.hot_spots.end(),
            [](const stats::hot_spot& a, const stats::hot_spot& b) { return a.ticket_id < b.ticket_id; });
  return out;
}

void expect_same(const stats::summary& got, const stats::summary& want, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(stats::summary_json(got), stats::summary_json(want));
  EXPECT_EQ(got.events, want.events);
  // The groups summary_json leaves out (the API's group_by=unit and group_by=level).
  auto groups = [](const std::map<std::string, stats::rates>& m) {
    std::string out;
    for (const auto& [k, r] : m) {
      out += k + ":" + std::to_string(r.tickets) + "," + std::to_string(r.response_due) + "," + std::to_string(r.responded_on_time) +
             "," + std::to_string(r.closed) + "," + std::to_string(r.rated) + "," + std::to_string(r.satisfied) + ";";
    }
    return out;
  };
  EXPECT_EQ(groups(got.by_unit), groups(want.by_unit));
  EXPECT_EQ(groups(got.by_level_rates), groups(want.by_level_rates));
  EXPECT_FALSE(got.tickets > 0 && got.by_level_rates.empty());
  EXPECT_EQ(got.hot_spots.size(), want.hot_spots.size());
}

class query_index : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    std::stringstream script;
    cli::generate_options g;
    g.appeals = 1500;
    g.from = at(2026, 2, 2);
    g.days = 70;  // February to mid-April: Spring Festival, make-up days, three months
    g.duplicate_share = 0.15;
    ASSERT_GT(cli::generate(*demo_config().rules, g, script), 1500u);
    const auto input = dir_->path() / "season.jsonl";
    {
      std::ofstream f(input);
      f << script.str();
    }
    cli::simulate_options o;
    o.input = input.string();
    o.data_dir = dir_->path() / "data";
    o.progress = false;
    o.until = at(2026, 4, 20);  // deadlines of what is still open fire (breaches, escalations)
    std::ostringstream out, err;
    ASSERT_EQ(cli::run_simulate(demo_config(), o, out, err), 0) << err.str();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  std::unique_ptr<store::store> open(bool read_only = false) {
    auto s = store::store::open(dir_->path() / "data" / "store",
                                store::options{demo_config().engine.partitions, false, false, read_only});
    EXPECT_TRUE(s.ok()) << s.err().message;
    return s.ok() ? std::move(*s) : nullptr;
  }

  static temp_dir* dir_;
};
temp_dir* query_index::dir_ = nullptr;

const routing::rulebook& rules() { return *demo_config().rules; }

std::string dup_scope(const ticket& t) { return rules().duplicate_scope_of(t.jurisdiction_id); }

TEST_F(query_index, fsck_finds_every_worklist_and_stats_row_as_snapshots_and_logs_imply) {
  auto s = open(true);
  ASSERT_TRUE(s);
  const auto report = store::fsck(*s, dup_scope);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  EXPECT_GT(report.tickets, 1000u);
}

TEST_F(query_index, the_summary_from_stats_rows_equals_the_one_from_snapshots_and_logs) {
  auto s = open(true);
  ASSERT_TRUE(s);
  const auto whole = *stats::compute_summary(*s, rules(), {});
  ASSERT_GT(whole.breaches.size(), 0u);     // the season produced breaches,
  ASSERT_GT(whole.escalations.size(), 0u);  // escalations
  ASSERT_GT(whole.overall.rated, 0u);       // and ratings to compare
  expect_same(whole, reference_summary(*s, rules(), {}), "everything");
  // Every street and every community, over March and over the whole season.
  for (const auto& [id, n] : rules().tree().nodes()) {
    if (n.kind != routing::node_kind::street && n.kind != routing::node_kind::community && n.kind != routing::node_kind::grid) {
      continue;
    }
    stats::filter f;
    f.jurisdiction = id;
    expect_same(*stats::compute_summary(*s, rules(), f), reference_summary(*s, rules(), f), id);
    f.created_from = at(2026, 3, 1);
    f.created_to = at(2026, 4, 1);
    expect_same(*stats::compute_summary(*s, rules(), f), reference_summary(*s, rules(), f), id + " in March");
  }
}

TEST_F(query_index, worklist_rows_say_overdue_and_at_risk_exactly_as_the_ticket_view_does) {
  auto s = open(true);
  ASSERT_TRUE(s);
  std::size_t rows = 0, overdue = 0, at_risk = 0;
  for (unsigned p = 0; p < s->partitions(); ++p) {
    EXPECT_TRUE(s->scan(store::family_prefix(p, store::kWorklist), [&](std::string_view key, std::string_view value) {
      auto r = store::parse_worklist_row(key, value);
      EXPECT_TRUE(r.has_value()) << key;
      if (!r) return false;
      ++rows;
      auto t = s->load_ticket(std::string(r->ticket_id));
      EXPECT_TRUE(t.ok() && t->has_value());
      const auto& tk = **t;
      EXPECT_EQ(r->due_ms, store::nearest_due_ms(tk));
      // Around every running deadline and warning, and at fixed instants, from the ticket's
      // last change on.
      std::vector<instant> nows{at(2026, 2, 10), at(2026, 3, 15, 10), at(2026, 4, 20), at(2026, 6, 1)};
      for (const auto& c : tk.clocks) {
        if (c.state != clock_state::running) continue;
        nows.push_back(c.due - std::chrono::milliseconds(1));
        nows.push_back(c.due);
        if (!c.warn_at.empty()) nows.push_back(c.warn_at.front());
      }
      for (auto now : nows) {
        if (now < tk.updated_at) continue;  // the row describes the ticket from its last change on
        bool want_over = false, want_risk = false;
        for (const auto& c : tk.clocks) {
          if (c.state != clock_state::running) continue;
          want_over |= api::clock_state_name(c, now) == "breached";
          want_risk |= api::clock_state_name(c, now) == "at_risk";
        }
        EXPECT_EQ(r->overdue(now), want_over) << r->ticket_id;
        EXPECT_EQ(r->at_risk(now), want_risk) << r->ticket_id;
        // Overdue tickets are exactly the prefix of the index due by now.
        EXPECT_EQ(want_over, r->due_ms <= to_millis(now)) << r->ticket_id << " " << value << " at " << to_millis(now);
        overdue += want_over;
        at_risk += want_risk;
      }
      return true;
    }).ok());
  }
  EXPECT_GT(rows, 1000u);
  EXPECT_GT(overdue, 0u);
  EXPECT_GT(at_risk, 0u);
}

TEST_F(query_index, a_worklist_row_with_a_field_or_clock_too_many_or_too_few_is_malformed) {
  auto s = open(true);
  ASSERT_TRUE(s);
  std::string key, value;
  for (unsigned p = 0; p < s->partitions() && value.empty(); ++p) {
    EXPECT_TRUE(s->scan(store::family_prefix(p, store::kWorklist), [&](std::string_view k, std::string_view v) {
      key = k;
      value = v;
      return false;
    }).ok());
  }
  ASSERT_FALSE(value.empty());
  auto r = store::parse_worklist_row(key, value);
  ASSERT_TRUE(r);
  const auto kept = store::owned(*r);
  EXPECT_EQ(kept.ticket_id, r->ticket_id);
  EXPECT_EQ(kept.jurisdiction_id, r->jurisdiction_id);
  EXPECT_EQ(kept.unit_id, r->unit_id);
  EXPECT_EQ(kept.category, r->category);
  EXPECT_EQ(kept.created_ms, r->created_ms);
  EXPECT_EQ(key.substr(key.rfind('|') + 1), kept.ticket_id);
  // The key alone gives the deadline and the id (the worklist's key-only path).
  auto k = store::parse_worklist_key(key);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->ticket_id, r->ticket_id);
  EXPECT_EQ(k->due_ms, r->due_ms);
  EXPECT_FALSE(store::parse_worklist_key(key.substr(0, key.rfind('|') + 1)));  // no ticket id
  EXPECT_FALSE(store::parse_worklist_key("p000|x|12345|" + kept.ticket_id));   // a short deadline
  // A batched read gives each ticket in the order asked, nullopt for an unknown one.
  const std::string unknown = kept.ticket_id.substr(0, kept.ticket_id.size() - 1) + "Z";
  auto loaded = s->load_tickets({kept.ticket_id, unknown, "no-such-id", kept.ticket_id});
  ASSERT_TRUE(loaded) << loaded.err().message;
  ASSERT_EQ(loaded->size(), 4u);
  ASSERT_TRUE((*loaded)[0] && (*loaded)[3]);
  EXPECT_EQ((*loaded)[0]->id, kept.ticket_id);
  EXPECT_EQ((*loaded)[3]->id, kept.ticket_id);
  EXPECT_EQ((*loaded)[0]->version, (*s->load_ticket(kept.ticket_id))->version);
  EXPECT_FALSE((*loaded)[1]);
  EXPECT_FALSE((*loaded)[2]);

  const auto last_tab = value.rfind('\t');
  const std::string clocks = value.substr(last_tab + 1);
  const std::string first_clock = clocks.substr(0, clocks.find(';'));
  const std::string head = value.substr(0, last_tab);
  for (const std::string& bad : {head,                                          // a field too few
                                 value + "\tx",                                 // a field too many
                                 head + "\t" + clocks.substr(clocks.find(';') + 1),  // a clock too few
                                 value + ";" + first_clock,                      // a clock too many
                                 head + "\t" + first_clock.substr(0, first_clock.rfind(',')) + clocks.substr(first_clock.size()),
                                 head + "\t" + first_clock + ",1" + clocks.substr(first_clock.size())}) {
    EXPECT_FALSE(store::parse_worklist_row(key, bad)) << bad;
  }
  EXPECT_FALSE(store::parse_worklist_row(key.substr(0, key.rfind('|') + 1), value));  // no ticket id
}

TEST_F(query_index, a_store_from_before_the_indexes_is_rebuilt_when_opened_for_writing) {
  // Turn a copy into a store of the previous layout: no index format, no stats rows,
  // worklist entries of the old shape.
  temp_dir copy;
  const auto before = [&] {
    auto s = open(true);
    return stats::summary_json(*stats::compute_summary(*s, rules(), {}));
  }();
  {
    auto s = open(true);
    ASSERT_TRUE(s->checkpoint(copy.path() / "store").ok());
  }
  const store::options writable{demo_config().engine.partitions, false, false, false};
  {
    auto s = store::store::open(copy.path() / "store", writable);
    ASSERT_TRUE(s.ok());
    rocksdb::WriteBatch wb;
    for (unsigned p = 0; p < (*s)->partitions(); ++p) {
      for (char family : {store::kWorklist, store::kStats}) {
        EXPECT_TRUE((*s)->scan(store::family_prefix(p, family), [&](std::string_view key, std::string_view) {
          wb.Delete(std::string(key));
          return true;
        }).ok());
      }
      wb.Put(store::family_prefix(p, store::kWorklist) + "dispatched|grid|unit|T20260301-000-000001", "");
    }
    wb.Delete("meta|index_format");
    ASSERT_TRUE((*s)->db()->Write(rocksdb::WriteOptions(), &wb).ok());
  }
  auto refused = store::store::open(copy.path() / "store", store::options{demo_config().engine.partitions, false, false, true});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().code, "store_format");
  EXPECT_NE(refused.err().message.find("doorstep serve"), std::string::npos);

  auto s = store::store::open(copy.path() / "store", writable);
  ASSERT_TRUE(s.ok()) << s.err().message;
  const auto report = store::fsck(**s, dup_scope);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  EXPECT_EQ(stats::summary_json(*stats::compute_summary(**s, rules(), {})), before);
}

TEST_F(query_index, fsck_reports_a_stats_row_that_disagrees_with_the_log) {
  temp_dir copy;
  {
    auto s = open(true);
    ASSERT_TRUE(s->checkpoint(copy.path() / "store").ok());
  }
  auto s = store::store::open(copy.path() / "store", store::options{demo_config().engine.partitions, false, false, false});
  ASSERT_TRUE(s.ok());
  std::string key, value;
  for (unsigned p = 0; p < (*s)->partitions() && key.empty(); ++p) {
    EXPECT_TRUE((*s)->scan(store::family_prefix(p, store::kStats), [&](std::string_view k, std::string_view v) {
      key = k;
      value = v;
      return false;
    }).ok());
  }
  ASSERT_FALSE(key.empty());
  auto h = store::parse_stats_history(value);
  ASSERT_TRUE(h.has_value());
  h->events += 1;  // as if an event had been counted twice
  auto row = store::parse_stats_row(key, value);
  auto t = (*s)->load_ticket(row->ticket_id);
  ASSERT_TRUE(t.ok() && t->has_value());
  ASSERT_TRUE((*s)->db()->Put(rocksdb::WriteOptions(), key, store::stats_value(**t, *h)).ok());
  const auto report = store::fsck(**s, dup_scope);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find(key), std::string::npos);
}

}  // namespace
}  // namespace doorstep
