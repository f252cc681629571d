#include "store/fsck.h"

#include <map>
#include <set>

#include "domain/codec.h"
#include "domain/decide.h"
#include "store/key_format.h"
#include "store/outbox.h"
#include "store/rows.h"

namespace doorstep::store {
namespace {

using key_format::to_number;

class checker {
 public:
  checker(const store& s, const std::function<std::string(const ticket&)>& dup_scope, std::size_t max)
      : s_(s), dup_scope_(dup_scope), max_(max) {}

  fsck_report run() {
    for (unsigned p = 0; p < s_.partitions(); ++p) check_partition(p);
    return std::move(report_);
  }

 private:
  void problem(std::string what) {
    if (report_.problems.size() < max_) report_.problems.push_back(std::move(what));
  }

  // A scan the store cannot finish is a problem of its own: the keys past the error
  // were not checked.
  void scan(const std::string& prefix, const std::function<bool(std::string_view, std::string_view)>& fn) {
    if (auto r = s_.scan(prefix, fn); !r) problem(r.err().message);
  }

  void check_partition(unsigned p) {
    std::map<std::string, std::string> expected;  // index key -> value
    std::set<std::string> ticket_ids;
    std::map<std::string, std::size_t> joined;  // ticket -> its joined appeals, as decoded
    scan(family_prefix(p, kSnapshot), [&](std::string_view key, std::string_view value) {
      const std::string id(key.substr(family_prefix(p, kSnapshot).size()));
      ticket_ids.insert(id);
      check_ticket(p, id, value, expected, joined);
      return true;
    });
    check_orphan_events(p, ticket_ids);
    check_joined_rows(p, joined);
    check_indexes(p, expected);
    check_stream(p, stream::ticket_events);
    check_stream(p, stream::dead_letters);
    scan(family_prefix(p, kSource), [&](std::string_view key, std::string_view value) {
      const auto id = value.substr(0, value.find('\n'));  // keyed commands store "<id>\n<fingerprint>..."
      if (!ticket_ids.count(std::string(id))) {
        problem("source key " + std::string(key) + " points to missing ticket " + std::string(id));
      }
      return true;
    });
  }

  // A publication stream holds exactly the entries after its delivery cursor, up to its
  // last staged sequence, without gaps; dead letters decode.
  void check_stream(unsigned p, stream which) {
    const auto cursor = delivered(s_, p, which);
    const auto staged_up_to = staged(s_, p, which);
    if (!cursor || !staged_up_to) {
      problem((cursor ? staged_up_to : cursor).err().message);
      return;
    }
    const auto first = *cursor + 1;
    const auto last = *staged_up_to;
    std::uint64_t expect = first;
    for (std::uint64_t after = first - 1;;) {
      const auto read = read_stream(s_, p, which, after, 1024);
      if (!read) {
        problem(read.err().message);
        return;
      }
      const auto& page = *read;
      for (const auto& e : page) {
        if (e.seq != expect) {
          problem("partition " + std::to_string(p) + " " + std::string(to_string(which)) + ": entry " +
                  std::to_string(e.seq) + " where " + std::to_string(expect) + " was expected");
          return;
        }
        if (which == stream::dead_letters && !decode_dead_letter(e.value)) {
          problem("partition " + std::to_string(p) + " dead letter " + std::to_string(e.seq) + " does not decode");
        }
        if (which == stream::ticket_events && !split_event_entry(e.value)) {
          problem("partition " + std::to_string(p) + " outbox entry " + std::to_string(e.seq) + " " +
                  refusal_reason(e.value));
        }
        ++expect;
      }
      if (page.size() < 1024) break;
      after = page.back().seq;
    }
    if (last >= first && expect != last + 1) {
      problem("partition " + std::to_string(p) + " " + std::string(to_string(which)) + ": entries end at " +
              std::to_string(expect - 1) + ", staged up to " + std::to_string(last));
    }
  }

  void check_ticket(unsigned p, const std::string& id, std::string_view value,
                    std::map<std::string, std::string>& expected, std::map<std::string, std::size_t>& joined) {
    ++report_.tickets;
    auto snap = s_.decode_snapshot(p, value);
    if (!snap) {
      problem("snapshot " + id + " does not decode: " + snap.err().message);
      return;
    }
    joined.emplace(id, snap->joined.size());
    if (partition_of_ticket(id) != p) problem("ticket " + id + " is stored in partition " + std::to_string(p));
    auto log = s_.load_events(id);
    if (!log) {
      problem("event log of " + id + " does not decode: " + log.err().message);
      return;
    }
    report_.events += log->size();
    for (std::size_t i = 0; i < log->size(); ++i) {
      if ((*log)[i].seq != i + 1 || (*log)[i].ticket_id != id) {
        problem("event log of " + id + " has a gap or a foreign event at position " + std::to_string(i + 1));
        return;
      }
    }
    const ticket folded = fold(*log);
    if (!(folded == *snap)) {
      problem("snapshot of " + id + " (version " + std::to_string(snap->version) +
              ") differs from the fold of its " + std::to_string(log->size()) + " events");
    }
    for (auto& e : index_entries(p, *snap, dup_scope_(*snap))) expected.emplace(std::move(e.key), std::move(e.value));
    expected.emplace(stats_key(p, *snap), stats_value(*snap, fold_history({}, *log)));
  }

  void check_orphan_events(unsigned p, const std::set<std::string>& ticket_ids) {
    const auto prefix = family_prefix(p, kEvent);
    std::string last;
    scan(prefix, [&](std::string_view key, std::string_view) {
      auto rest = key.substr(prefix.size());
      const std::string id(rest.substr(0, rest.find('|')));
      if (id != last && !ticket_ids.count(id)) problem("events of " + id + " have no snapshot");
      last = id;
      return true;
    });
  }

  // Every row of a joined appeal belongs to a ticket whose snapshot counts it (a missing
  // row is reported by the snapshot's decode).
  void check_joined_rows(unsigned p, const std::map<std::string, std::size_t>& joined) {
    const auto prefix = family_prefix(p, kJoined);
    scan(prefix, [&](std::string_view key, std::string_view) {
      const auto rest = key.substr(prefix.size());
      const auto bar = rest.rfind('|');
      const std::string id(rest.substr(0, bar));
      const auto n = bar == std::string_view::npos ? std::nullopt : to_number<std::size_t>(rest.substr(bar + 1));
      const auto it = joined.find(id);
      if (!n || it == joined.end() || *n >= it->second) problem("stray joined appeal row " + std::string(key));
      return true;
    });
  }

  void check_indexes(unsigned p, const std::map<std::string, std::string>& expected) {
    std::map<std::string, std::string> actual;
    for (char family : {kTimer, kWorklist, kStats, kDuplicate}) {
      scan(family_prefix(p, family), [&](std::string_view key, std::string_view value) {
        actual.emplace(std::string(key), std::string(value));
        return true;
      });
    }
    report_.index_entries += actual.size();
    for (const auto& [key, value] : expected) {
      auto it = actual.find(key);
      if (it == actual.end()) problem("missing index entry " + key);
      else if (it->second != value) problem("index entry " + key + " holds '" + it->second + "', expected '" + value + "'");
    }
    for (const auto& [key, value] : actual) {
      if (!expected.count(key)) problem("stray index entry " + key);
    }
  }

  const store& s_;
  const std::function<std::string(const ticket&)>& dup_scope_;
  std::size_t max_;
  fsck_report report_;
};

}  // namespace

fsck_report fsck(const store& s, const std::function<std::string(const ticket&)>& dup_scope,
                 std::size_t max_problems) {
  return checker(s, dup_scope, max_problems).run();
}

}  // namespace doorstep::store
