#include "store/outbox.h"

#include <rocksdb/write_batch.h>

#include <charconv>

#include "domain/codec.h"

namespace doorstep::store {
namespace {

std::string cursor_name(stream which) {
  return which == stream::ticket_events ? "outbox_delivered" : "dlq_delivered";
}
std::string seq_name(stream which) { return which == stream::ticket_events ? "outbox_seq" : "dlq_seq"; }

// The number stored at `key` (0 when absent). A failed read or a value that is not a
// number is an error: taken for 0, a cursor would send every entry again and a relay
// counting deliveries from it would never move it.
result<std::uint64_t> number_at(const store& s, const std::string& key) {
  auto v = s.read(key);
  if (!v) return v.err();
  if (!*v) return std::uint64_t{0};
  const auto& text = **v;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p != text.data() + text.size() || text.empty()) {
    return make_error("storage", key + " holds \"" + text + "\", not a sequence number");
  }
  return n;
}

// Fields are "<length>:<bytes>" one after another; absent optional fields are "-".
void put_field(std::string& out, std::string_view bytes) {
  out += std::to_string(bytes.size());
  out += ':';
  out.append(bytes);
}

class field_reader {
 public:
  explicit field_reader(std::string_view in) : in_(in) {}
  std::optional<std::string> next() {
    if (in_.empty()) return std::nullopt;
    if (in_.front() == '-') {
      in_.remove_prefix(1);
      return std::string{};
    }
    const auto colon = in_.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::size_t len = 0;
    auto [p, ec] = std::from_chars(in_.data(), in_.data() + colon, len);
    if (ec != std::errc{} || p != in_.data() + colon || len > in_.size() - colon - 1) return std::nullopt;
    std::string out(in_.substr(colon + 1, len));
    in_.remove_prefix(colon + 1 + len);
    return out;
  }
  bool absent_next() const { return !in_.empty() && in_.front() == '-'; }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

template <typename T>
std::optional<T> to_int(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  T v{};
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || p != s->data() + s->size()) return std::nullopt;
  return v;
}

}  // namespace

std::string_view to_string(stream s) { return s == stream::ticket_events ? "ticket_events" : "dead_letters"; }

std::string encode(const dead_letter& d) {
  std::string out = "dl1";
  put_field(out, d.topic);
  put_field(out, std::to_string(d.partition));
  put_field(out, std::to_string(d.offset));
  put_field(out, std::to_string(d.timestamp_ms));
  if (d.key) {
    put_field(out, *d.key);
  } else {
    out += '-';
  }
  put_field(out, d.payload);
  put_field(out, d.code);
  put_field(out, d.reason);
  return out;
}

std::optional<dead_letter> decode_dead_letter(std::string_view bytes) {
  if (bytes.substr(0, 3) != "dl1") return std::nullopt;
  field_reader r(bytes.substr(3));
  dead_letter d;
  auto topic = r.next();
  auto partition = to_int<std::int32_t>(r.next());
  auto offset = to_int<std::int64_t>(r.next());
  auto timestamp = to_int<std::int64_t>(r.next());
  const bool keyless = r.absent_next();
  auto key = r.next();
  auto payload = r.next();
  auto code = r.next();
  auto reason = r.next();
  if (!topic || !partition || !offset || !timestamp || !key || !payload || !code || !reason || !r.done()) {
    return std::nullopt;
  }
  d.topic = std::move(*topic);
  d.partition = *partition;
  d.offset = *offset;
  d.timestamp_ms = *timestamp;
  if (!keyless) d.key = std::move(*key);
  d.payload = std::move(*payload);
  d.code = std::move(*code);
  d.reason = std::move(*reason);
  return d;
}

namespace {

// Gives every entry that refers to its event the event's JSON from the log, in one
// batched read. An entry whose event is missing stays as stored.
status_result resolve_references(const store& s, unsigned partition, std::vector<outbox_entry>& entries) {
  std::vector<std::string> keys;
  std::vector<std::size_t> slot;  // keys[i] is the event of entries[slot[i]]
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (auto r = parse_event_reference(entries[i].value)) {
      keys.push_back(event_key(partition, r->ticket_id, r->seq));
      slot.push_back(i);
    }
  }
  const auto what = "cannot read the events the outbox of partition " + std::to_string(partition) + " refers to";
  return s.read_each(keys, what, [&](std::size_t i, std::optional<std::string_view> json) -> status_result {
    if (!json) return ok_v;
    auto& value = entries[slot[i]].value;
    value.reserve(value.size() + 1 + json->size());
    value += '\n';
    value += *json;
    return ok_v;
  });
}

}  // namespace

std::optional<event_reference> parse_event_reference(std::string_view value) {
  if (value.empty() || value.front() == '{' || value.find('\n') != std::string_view::npos) return std::nullopt;
  const auto t1 = value.find('\t');
  const auto t2 = t1 == std::string_view::npos ? t1 : value.find('\t', t1 + 1);
  if (t2 == std::string_view::npos || value.find('\t', t2 + 1) != std::string_view::npos) return std::nullopt;
  event_reference r{value.substr(0, t1), value.substr(t1 + 1, t2 - t1 - 1), value.substr(t2 + 1)};
  const auto& id = r.event_id;
  if (r.ticket_id.empty() || r.type.empty() || id.size() <= r.ticket_id.size() + 1 ||
      !id.starts_with(r.ticket_id) || id[r.ticket_id.size()] != '/') {
    return std::nullopt;
  }
  const auto digits = id.substr(r.ticket_id.size() + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), r.seq);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return r;
}

std::optional<event_entry> split_event_entry(std::string_view value) {
  if (!value.empty() && value.front() == '{') {  // an entry of an older store: the bare JSON
    auto v = codec::parse(value);
    if (!v || !v->is_object()) return std::nullopt;
    const auto& o = v->as_object();
    auto text = [&](std::string_view k) -> std::optional<std::string> {
      auto it = o.find(k);
      if (it == o.end() || !it->value().is_string()) return std::nullopt;
      return std::string(it->value().as_string());
    };
    auto ticket = text("ticket_id"), id = text("event_id"), type = text("type");
    if (!ticket || !id || !type) return std::nullopt;
    return event_entry{*ticket, *id, *type, value};
  }
  const auto nl = value.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  const auto head = value.substr(0, nl);
  const auto t1 = head.find('\t');
  const auto t2 = t1 == std::string_view::npos ? t1 : head.find('\t', t1 + 1);
  if (t2 == std::string_view::npos) return std::nullopt;
  return event_entry{std::string(head.substr(0, t1)), std::string(head.substr(t1 + 1, t2 - t1 - 1)),
                     std::string(head.substr(t2 + 1)), value.substr(nl + 1)};
}

std::string refusal_reason(std::string_view value) {
  if (const auto ref = parse_event_reference(value)) {
    return "refers to event " + std::string(ref->event_id) + ", which is not in the event log";
  }
  return "is malformed";
}

result<std::vector<outbox_entry>> read_stream(const store& s, unsigned partition, stream which,
                                              std::uint64_t after, std::size_t limit) {
  std::vector<outbox_entry> out;
  const auto prefix = family_prefix(partition, static_cast<char>(which));
  const auto upper = family_prefix(partition, static_cast<char>(static_cast<char>(which) + 1));
  const rocksdb::Slice upper_slice(upper);
  const auto view = s.reads(&upper_slice);
  std::unique_ptr<rocksdb::Iterator> it(s.db()->NewIterator(view.options()));
  const auto start = which == stream::ticket_events ? outbox_key(partition, after + 1) : dead_letter_key(partition, after + 1);
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    const auto key = it->key().ToStringView();
    std::uint64_t seq = 0;
    std::from_chars(key.data() + prefix.size(), key.data() + key.size(), seq);
    out.push_back(outbox_entry{seq, it->value().ToString()});
  }
  if (!it->status().ok()) {
    return make_error("storage", "cannot read the " + std::string(to_string(which)) + " of partition " +
                                     std::to_string(partition) + ": " + it->status().ToString());
  }
  if (which == stream::ticket_events) {
    auto resolved = resolve_references(s, partition, out);
    if (!resolved) return resolved.err();
  }
  return out;
}

result<std::uint64_t> delivered(const store& s, unsigned partition, stream which) {
  return number_at(s, meta_key(partition, cursor_name(which)));
}

result<std::uint64_t> staged(const store& s, unsigned partition, stream which) {
  return number_at(s, meta_key(partition, seq_name(which)));
}

status_result mark_delivered(store& s, unsigned partition, stream which, std::uint64_t seq) {
  rocksdb::WriteBatch wb;
  wb.Put(meta_key(partition, cursor_name(which)), std::to_string(seq));
  const auto first = family_prefix(partition, static_cast<char>(which));
  const auto past = which == stream::ticket_events ? outbox_key(partition, seq + 1) : dead_letter_key(partition, seq + 1);
  wb.DeleteRange(first, past);
  return s.write(wb, "cannot record delivery");
}

result<std::optional<std::int64_t>> resume_position(const store& s, std::string_view source) {
  const auto key = "meta|resume|" + std::string(source);
  auto v = s.read(key);
  if (!v) return v.err();
  if (!*v) return std::optional<std::int64_t>{};
  auto n = to_int<std::int64_t>(**v);
  if (!n || *n < 0) return make_error("storage", key + " holds \"" + **v + "\", not an offset");
  return std::optional<std::int64_t>{*n};
}

status_result save_resume_position(store& s, std::string_view source, std::int64_t offset) {
  rocksdb::WriteBatch wb;
  wb.Put("meta|resume|" + std::string(source), std::to_string(offset));
  return s.write(wb, "cannot record the resume position");
}

}  // namespace doorstep::store
