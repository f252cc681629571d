// JSON decode and encode of real appeals (the spring sample's Chinese text): what the
// HTTP edge does per POST body, and what the store does per event and snapshot
// (codec::to_text, the text the store writes).
#include <benchmark/benchmark.h>

#include "domain/codec.h"
#include "micro_support.h"

namespace doorstep::bench {
namespace {

// Submit lines of the sample, as the wire carries them.
const std::vector<std::string>& appeal_lines() {
  static const auto lines = [] {
    std::vector<std::string> out;
    for (auto& l : sample_lines()) {
      if (l.find("\"command\":\"submit\"") != std::string::npos) out.push_back(std::move(l));
    }
    return out;
  }();
  return lines;
}

// The events and tickets the first 512 sample appeals produce when they open tickets.
struct decided {
  std::vector<event> events;
  std::vector<ticket> tickets;
};
const decided& decided_sample() {
  static const decided d = [] {
    decided out;
    std::size_t n = 0;
    for (auto& t : sample_appeals(512)) {
      t.cmd.ticket_id = "T20260126-000-" + std::to_string(100000 + ++n);
      auto events = decide(ticket{}, t.cmd, t.at, rules());
      if (!events) continue;
      ticket after;
      for (auto& e : *events) {
        after = apply(std::move(after), e);
        out.events.push_back(std::move(e));
      }
      out.tickets.push_back(std::move(after));
    }
    return out;
  }();
  return d;
}

void decode_appeal(benchmark::State& state) {
  const auto& lines = appeal_lines();
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const auto& text = lines[i++ % lines.size()];
    auto v = codec::parse(text);
    auto body = codec::decode_command_body(v->as_object());
    benchmark::DoNotOptimize(body);
    bytes += text.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(decode_appeal)->Name("codec/decode_appeal");

void encode_event(benchmark::State& state) {
  const auto& events = decided_sample().events;
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto text = codec::to_text(events[i++ % events.size()]);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(encode_event)->Name("codec/encode_event");

void encode_snapshot(benchmark::State& state) {
  const auto& tickets = decided_sample().tickets;
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto text = codec::to_text(tickets[i++ % tickets.size()]);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(encode_snapshot)->Name("codec/encode_snapshot");

void decode_snapshot(benchmark::State& state) {
  std::vector<std::string> texts;
  for (const auto& t : decided_sample().tickets) texts.push_back(codec::to_text(t));
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const auto& text = texts[i++ % texts.size()];
    auto t = codec::decode_ticket_text(text);
    benchmark::DoNotOptimize(t);
    bytes += text.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(decode_snapshot)->Name("codec/decode_snapshot");

}  // namespace
}  // namespace doorstep::bench
