// engine/cli/simulate.cpp
// Reads the input (validating a file completely before running anything), drives the
// engine on the simulated clock, and prints the supervisor's summary.
#include "cli/simulate.h"

#include <fstream>
#include <iostream>
#include <random>
#include <unordered_map>

#include "stats/summary.h"
#include "domain/codec.h"
#include "runtime/engine.h"

namespace doorstep::cli {
namespace {

namespace json = boost::json;

struct sim_line {
  std::size_t number = 0;
  instant at{};
  command cmd;
  std::string ref;  // source_id of the appeal whose ticket this is for
};

result<sim_line> parse_line(std::string_view text, std::size_t number) {
  auto v = codec::parse(text);
  if (!v) return v.err();
  if (!v->is_object()) return make_error("invalid_field", "each line must be a JSON object");
  const auto& o = v->as_object();
  sim_line line;
  line.number = number;
  auto at_it = o.find("at");
  if (at_it == o.end() || !at_it->value().is_string()) return make_error("missing_field", "at is required", "at");
  auto at = parse_rfc3339(std::string_view(at_it->value().as_string()));
  if (!at) return make_error("invalid_field", "at is not an RFC 3339 date-time", "at");
  line.at = *at;
  auto body = codec::decode_command_body(o);
  if (!body) return body.err();
  line.cmd.body = std::move(*body);
  const bool submit = std::holds_alternative<submit_cmd>(line.cmd.body);
  auto str = [&](const char* key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string{};
  };
  line.cmd.id = str("id");
  if (line.cmd.id.empty()) line.cmd.id = "line-" + std::to_string(number);
  if (!submit) line.cmd.idempotency_key = line.cmd.id;
  line.ref = str("ref");
  line.cmd.ticket_id = str("ticket_id");
  if (!submit && line.ref.empty() && line.cmd.ticket_id.empty()) {
    return make_error("missing_field", "an action needs ref (the appeal's source_id) or ticket_id", "ref");
  }
  line.cmd.by = actor{submit ? role::operator_ : role::handler, ""};
  if (auto it = o.find("actor"); it != o.end()) {
    if (!it->value().is_object()) return make_error("invalid_field", "actor must be an object", "actor");
    const auto& a = it->value().as_object();
    if (auto r = a.find("role"); r != a.end()) {
      auto parsed = r->value().is_string() ? parse_role(std::string_view(r->value().as_string())) : std::nullopt;
      if (!parsed) return make_error("invalid_field", "actor.role is not a role", "actor.role");
      line.cmd.by.who = *parsed;
    }
    if (auto i = a.find("id"); i != a.end() && i->value().is_string()) line.cmd.by.id = std::string(i->value().as_string());
  }
  if (auto* s = std::get_if<submit_cmd>(&line.cmd.body)) {
    if (s->a.source_id.empty()) s->a.source_id = line.cmd.id;
    if (s->a.reported_at == instant{}) s->a.reported_at = line.at;
  }
  return line;
}

std::string describe(const error& e) {
  return e.code + ": " + e.message + (e.field.empty() ? "" : " (field " + e.field + ")");
}

class simulation {
 public:
  simulation(runtime::engine& eng, const simulate_options& opts, std::ostream& out, std::ostream& err)
      : eng_(eng), opts_(opts), out_(out), err_(err) {}

  void feed(sim_line& line) {
    eng_.advance_to(line.at);
    if (!std::holds_alternative<submit_cmd>(line.cmd.body) && line.cmd.ticket_id.empty()) {
      auto it = refs_.find(line.ref);
      if (it == refs_.end()) {
        ++skipped_unknown_;
        ack(line, nullptr, "unknown_ref");
        return;
      }
      if (it->second.joined) {
        ++skipped_joined_;
        ack(line, nullptr, "joined");
        return;
      }
      line.cmd.ticket_id = it->second.ticket_id;
    }
    auto o = eng_.execute(line.cmd);
    ++commands_;
    if (!o.ok()) {
      ++rejected_[o.err->code];
      if (o.err->code == "storage") throw std::runtime_error(describe(*o.err));
    } else if (const auto* s = std::get_if<submit_cmd>(&line.cmd.body)) {
      refs_[s->a.source_id] = ref_entry{o.ticket_id, o.joined};
      if (o.joined && !o.replayed) ++joined_;
    }
    if (o.replayed) ++replayed_;
    ack(line, &o, {});
  }

  void report_counts(std::ostream& o) const {
    o << "Commands: " << commands_ << " run, " << replayed_ << " replayed (seen before), " << joined_
      << " appeals joined an open ticket, " << skipped_joined_ << " actions skipped for joined appeals, "
      << skipped_unknown_ << " for unknown refs\n";
    if (!rejected_.empty()) {
      o << "Rejected commands by reason:\n";
      for (const auto& [k, v] : rejected_) o << "  " << k << ": " << v << "\n";
    }
  }

 private:
  struct ref_entry {
    std::string ticket_id;
    bool joined = false;
  };

  void ack(const sim_line& line, const runtime::outcome* o, std::string_view skipped) {
    if (!opts_.acks) return;
    json::object a{{"line", line.number}, {"id", line.cmd.id}};
    if (o) {
      a["ok"] = o->ok();
      a["ticket_id"] = o->ticket_id;
      a["replayed"] = o->replayed;
      a["joined"] = o->joined;
      if (!o->ok()) a["error"] = o->err->code;
    } else {
      a["ok"] = false;
      a["skipped"] = json::string(skipped);
    }
    out_ << json::serialize(a) << "\n" << std::flush;
  }

  runtime::engine& eng_;
  const simulate_options& opts_;
  std::ostream& out_;
  std::ostream& err_;
  std::unordered_map<std::string, ref_entry> refs_;
  std::map<std::string, std::size_t> rejected_;
  std::size_t commands_ = 0, replayed_ = 0, joined_ = 0, skipped_joined_ = 0, skipped_unknown_ = 0;
};

// Reads and validates a whole file; returns the lines or prints every problem.
std::optional<std::vector<sim_line>> read_file(const std::string& path, std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << "simulate: cannot open " << path << "\n";
    return std::nullopt;
  }
  std::vector<sim_line> lines;
  std::string text;
  std::size_t number = 0, bad = 0;
  instant last{};
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto line = parse_line(text, number);
    if (!line) {
      if (++bad <= 20) err << path << ":" << number << ": " << describe(line.err()) << "\n";
      continue;
    }
    if (line->at < last) {
      if (++bad <= 20) err << path << ":" << number << ": at goes back in time; lines must be in time order\n";
      continue;
    }
    last = line->at;
    lines.push_back(std::move(*line));
  }
  if (bad) {
    err << "simulate: " << bad << " bad line(s) in " << path << "; nothing was run\n";
    return std::nullopt;
  }
  return lines;
}

std::filesystem::path temp_store() {
  std::random_device rd;
  return std::filesystem::temp_directory_path() / ("doorstep-simulate-" + std::to_string(rd()));
}

}  // namespace

int run_simulate(const config::loaded_config& cfg, const simulate_options& opts, std::ostream& out,
                 std::ostream& err) {
  std::vector<sim_line> lines;
  const bool streaming = opts.input == "-";
  if (!streaming) {
    auto read = read_file(opts.input, err);
    if (!read) return 2;
    lines = std::move(*read);
    if (lines.empty()) {
      err << "simulate: " << opts.input << " holds no commands\n";
      return 2;
    }
  }
  const bool temporary = opts.data_dir.empty();
  const auto dir = temporary ? temp_store() : opts.data_dir;
  int code = 0;
  {
    auto st = store::store::open(dir / "store", store::options{cfg.engine.partitions, opts.sync, true, false});
    if (!st) {
      err << "simulate: " << st.err().message << "\n";
      return 1;
    }
    const instant start = lines.empty() ? from_millis(0) : lines.front().at;
    runtime::simulated_clock clk(start);
    runtime::engine eng(cfg.rules, **st, clk, runtime::engine_options{opts.threads, cfg.engine.group_commit_max, false});
    simulation sim(eng, opts, out, err);
    try {
      if (streaming) {
        std::string text;
        std::size_t number = 0;
        while (std::getline(std::cin, text)) {
          ++number;
          if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
          auto line = parse_line(text, number);
          if (!line) {
            err << "stdin:" << number << ": " << describe(line.err()) << "\n";
            continue;
          }
          sim.feed(*line);
        }
      } else {
        const auto every = std::max<std::size_t>(lines.size() / 10, 1000);
        for (std::size_t i = 0; i < lines.size(); ++i) {
          sim.feed(lines[i]);
          if (opts.progress && lines.size() >= 5000 && (i + 1) % every == 0) {
            err << "simulate: " << (i + 1) << "/" << lines.size() << " commands, clock at "
                << format_rfc3339(lines[i].at) << "\n";
          }
        }
      }
      if (opts.until) eng.advance_to(*opts.until);
    } catch (const std::exception& e) {
      err << "simulate: " << e.what() << "\n";
      code = 1;
    }
    eng.stop();
    if (code == 0 && !opts.acks) {
      const auto summarized = stats::compute_summary(**st, *cfg.rules);
      if (!summarized) {
        err << "simulate: " << summarized.err().message << "\n";
        code = 1;
      } else if (opts.json) {
        out << stats::summary_json(*summarized) << "\n";
      } else {
        out << "Simulated " << (lines.empty() ? std::string("stdin") : format_rfc3339(lines.front().at) + " .. " +
                                                                          format_rfc3339(clk.now()))
            << "\n";
        sim.report_counts(out);
        out << "\n";
        stats::print_summary(out, *summarized);
      }
    }
  }
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return code;
}

}  // namespace doorstep::cli
