// engine/domain/codec_encode.cpp
// Every encoder, once: appeals, SLA clocks, escalation records, events and ticket
// snapshots are written straight to JSON text (the store writes two or three of these
// per command, so no value tree is built on that path). encode() parses the same text
// for callers that want a boost::json object to adjust (the API views).
//
// The text is exactly what boost::json::serialize would print for the parsed object:
// no whitespace, members in the order written, strings escaped as Boost.JSON does
// (\" \\ \b \f \n \r \t, other control characters as \u00xx, everything else as is),
// integers in decimal.
#include <algorithm>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "domain/codec.h"
#include "domain/digits.h"

namespace doorstep::codec {
namespace {

// Writes through a cursor into a buffer sized up front: every member costs one room
// check and a few stores or memcpy calls, not one std::string append (and its capacity
// check) per character or fragment. Under callgrind the appends had been about a third
// of encoding a snapshot. The small members are always inlined: member names are
// literals, so their copies become a few stores of known size instead of memcpy calls.
class text_writer {
 public:
  explicit text_writer(std::size_t reserve) {
    out_.resize(std::max<std::size_t>(reserve, 64));
    p_ = out_.data();
  }
  std::string take() {
    out_.resize(used());
    return std::move(out_);
  }

  // Objects and arrays: open() starts an object where a value goes (the top level, an
  // array element, or after key()); open(key) a member object; close() ends either.
  [[gnu::always_inline]] void open() {
    room(2);
    comma();
    *p_++ = '{';
    need_comma_ = false;
  }
  [[gnu::always_inline]] void open(std::string_view k) {
    key(k);
    open();
  }
  // A member name; the value written next belongs to it.
  [[gnu::always_inline]] void key(std::string_view k) {
    name(k);
    need_comma_ = false;
  }
  [[gnu::always_inline]] void close() {
    room(1);
    *p_++ = '}';
    need_comma_ = true;
  }
  [[gnu::always_inline]] void open_array(std::string_view key) {
    name(key, 1);
    *p_++ = '[';
    need_comma_ = false;
  }
  [[gnu::always_inline]] void close_array() {
    room(1);
    *p_++ = ']';
    need_comma_ = true;
  }

  [[gnu::always_inline]] void str(std::string_view key, std::string_view v) {
    name(key);
    quoted(v);
  }
  // The codec's own names (enum values, event types): lowercase ASCII words, nothing to
  // escape, so they are copied as they are.
  [[gnu::always_inline]] void word(std::string_view key, std::string_view v) {
    name(key, v.size() + 2);
    *p_++ = '"';
    put(v);
    *p_++ = '"';
    need_comma_ = true;
  }
  [[gnu::always_inline]] void num(std::string_view key, std::int64_t v) {
    name(key, kDigitsMax);
    digits(v);
  }
  [[gnu::always_inline]] void boolean(std::string_view key, bool v) {
    literal(key, v ? std::string_view("true") : std::string_view("false"));
  }
  [[gnu::always_inline]] void null(std::string_view key) { literal(key, "null"); }
  [[gnu::always_inline]] void time(std::string_view key, instant t) {
    name(key, kRfc3339Max + 2);
    instant_text(t);
  }
  void opt_time(std::string_view key, const std::optional<instant>& t) {
    if (t) {
      time(key, *t);
    } else {
      null(key);
    }
  }
  // Array elements.
  void element(std::string_view v) {
    room(1);
    comma();
    quoted(v);
  }
  void element(instant t) {
    room(kRfc3339Max + 3);
    comma();
    instant_text(t);
  }

 private:
  static constexpr std::size_t kDigitsMax = 20;  // -9223372036854775808

  std::size_t used() const { return static_cast<std::size_t>(p_ - out_.data()); }
  // Makes room for `n` more characters at the cursor.
  [[gnu::always_inline]] void room(std::size_t n) {
    if (out_.size() - used() < n) grow(n);
  }
  void grow(std::size_t n) {
    const auto at = used();
    out_.resize(std::max(out_.size() * 2, at + n));
    p_ = out_.data() + at;
  }
  [[gnu::always_inline]] void put(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  // Only after room() was made for it.
  [[gnu::always_inline]] void comma() {
    if (need_comma_) *p_++ = ',';
  }
  // `,"key":` with room for `then` more characters after it. Member names are the
  // encoders' own constants: nothing to escape.
  [[gnu::always_inline]] void name(std::string_view key, std::size_t then = 0) {
    room(key.size() + 4 + then);
    comma();
    *p_++ = '"';
    put(key);
    *p_++ = '"';
    *p_++ = ':';
  }
  [[gnu::always_inline]] void literal(std::string_view key, std::string_view text) {
    name(key, text.size());
    put(text);
    need_comma_ = true;
  }
  // RFC 3339 text needs no escaping either (room made by the caller). A ticket's and an
  // event's instants repeat (created and updated, each clock's start, the event's time),
  // so the last one's text is kept and copied when the next is the same instant.
  void instant_text(instant t) {
    *p_++ = '"';
    if (last_size_ == 0 || t != last_instant_) {
      last_instant_ = t;
      last_size_ = format_rfc3339(t, last_text_);
    }
    std::memcpy(p_, last_text_, last_size_);
    p_ += last_size_;
    *p_++ = '"';
    need_comma_ = true;
  }
  // Room made by the caller.
  void digits(std::int64_t v) {
    if (v < 0) *p_++ = '-';
    const auto magnitude = v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
    p_ = doorstep::digits::put_padded(p_, magnitude, 1);
    need_comma_ = true;
  }
  static bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }
  // True if any of the 8 bytes in `w` needs escaping (exact, no false negatives: the
  // "has a byte less than n" and "has a zero byte" word tricks).
  static bool word_needs_escape(std::uint64_t w) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    auto has_zero = [&](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
    const bool control = ((w - ones * 0x20) & ~w & highs) != 0;
    return control || has_zero(w ^ (ones * '"')) || has_zero(w ^ (ones * '\\'));
  }

  // Copies clean stretches sixteen bytes at a time with SSE2 where the compiler targets
  // it (every x86-64), eight at a time otherwise, and the last few byte by byte
  // (descriptions are mostly long UTF-8 runs with nothing to escape), escaping what
  // Boost.JSON escapes. Room is made for the text unescaped; each escape makes room for
  // itself and the rest. A block is stored whole before its first byte to escape is
  // known: the bytes past it are overwritten, and the room the rest of the text was
  // given covers the block.
  void quoted(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    room(s.size() + 2);
    *p_++ = '"';
    const char* p = s.data();
    const char* const end = p + s.size();
    for (;;) {
#ifdef __SSE2__
      const __m128i below_space = _mm_set1_epi8(0x1F), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
      while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i special = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, below_space), x),
                                             _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p_), x);
        if (const int mask = _mm_movemask_epi8(special); mask != 0) {
          const int clean = __builtin_ctz(static_cast<unsigned>(mask));
          p += clean;
          p_ += clean;
          break;
        }
        p += 16;
        p_ += 16;
      }
#endif
      for (std::uint64_t w; end - p >= 8; p += 8, p_ += 8) {
        std::memcpy(&w, p, 8);
        if (word_needs_escape(w)) break;
        std::memcpy(p_, &w, 8);
      }
      while (p < end && !needs_escape(static_cast<unsigned char>(*p))) *p_++ = *p++;
      if (p == end) break;
      const auto c = static_cast<unsigned char>(*p++);
      room(6 + static_cast<std::size_t>(end - p) + 1);
      *p_++ = '\\';
      switch (c) {
        case '"': *p_++ = '"'; break;
        case '\\': *p_++ = '\\'; break;
        case '\b': *p_++ = 'b'; break;
        case '\f': *p_++ = 'f'; break;
        case '\n': *p_++ = 'n'; break;
        case '\r': *p_++ = 'r'; break;
        case '\t': *p_++ = 't'; break;
        default:
          put("u00");
          *p_++ = hex[c >> 4];
          *p_++ = hex[c & 15];
      }
    }
    *p_++ = '"';
    need_comma_ = true;
  }

  std::string out_;
  char* p_ = nullptr;
  bool need_comma_ = false;
  instant last_instant_{};
  std::size_t last_size_ = 0;
  char last_text_[kRfc3339Max];
};

void write(text_writer& w, const appeal& a) {
  w.open();
  w.word("channel", to_string(a.via));
  w.str("category", a.category);
  w.word("severity", to_string(a.sev));
  w.str("description", a.description);
  w.open("location");
  w.str("jurisdiction_id", a.jurisdiction_id);
  if (!a.address.empty()) w.str("address", a.address);
  w.close();
  if (!a.resident.name.empty() || !a.resident.phone.empty()) {
    w.open("resident");
    w.str("name", a.resident.name);
    w.str("phone", a.resident.phone);
    w.close();
  }
  if (!a.source_id.empty()) w.str("source_id", a.source_id);
  if (a.reported_at != instant{}) w.time("reported_at", a.reported_at);
  w.close();
}

void write(text_writer& w, const sla_clock& c) {
  static constexpr std::string_view kStates[] = {"idle", "running", "paused", "stopped"};
  w.open();
  w.word("state", kStates[static_cast<int>(c.state)]);
  if (c.state != clock_state::idle) {
    w.boolean("continuous", c.continuous);
    w.num("target_ms", c.target.count());
    w.time("started", c.started);
    w.time("due", c.due);
    w.open_array("warn_at");
    for (auto t : c.warn_at) w.element(t);
    w.close_array();
    w.num("warnings_fired", c.warnings_fired);
    w.boolean("breached", c.breached);
    if (c.remaining.count() != 0) w.num("remaining_ms", c.remaining.count());
    if (c.state == clock_state::stopped) w.time("stopped_at", c.stopped_at);
  }
  w.close();
}

void write(text_writer& w, const escalation_record& e) {
  w.open();
  w.word("from", to_string(e.from));
  w.word("to", to_string(e.to));
  w.word("reason", to_string(e.reason));
  w.time("at", e.at);
  w.str("unit_id", e.unit_id);
  w.close();
}

void write_clocks(text_writer& w, std::string_view key, const clock_set& cs) {
  w.open_array(key);
  for (const auto& c : cs) write(w, c);
  w.close_array();
}

template <class Appeals>
void write_appeals(text_writer& w, std::string_view key, const Appeals& v) {
  w.open_array(key);
  for (const auto& a : v) write(w, a);
  w.close_array();
}

// The "data" member of each event type.
struct body_writer {
  text_writer& w;
  void operator()(const received_ev& e) {
    w.key("appeal");
    write(w, e.a);
    w.str("community_id", e.community_id);
  }
  void operator()(const triaged_ev& e) {
    w.str("category", e.category);
    w.str("jurisdiction_id", e.jurisdiction_id);
    w.word("severity", to_string(e.sev));
  }
  void operator()(const dispatched_ev& e) {
    w.word("level", to_string(e.to));
    w.str("unit_id", e.unit_id);
    w.word("priority", to_string(e.prio));
    w.str("sla_policy", e.sla_policy);
    w.str("rule_id", e.rule_id);
    write_clocks(w, "clocks", e.clocks);
  }
  void operator()(const accepted_ev&) {}
  void operator()(const contacted_ev& e) { w.str("note", e.note); }
  void operator()(const noted_ev& e) { w.str("note", e.text); }
  void operator()(const resolved_ev& e) {
    w.str("note", e.note);
    w.key("verify_clock");
    write(w, e.verify);
  }
  void operator()(const verified_ev& e) {
    w.str("note", e.note);
    w.time("auto_close_at", e.auto_close_at);
  }
  void operator()(const verification_failed_ev& e) {
    w.str("note", e.note);
    w.key("resolve_clock");
    write(w, e.resolve);
  }
  void operator()(const rated_ev& e) {
    w.num("score", e.score);
    w.str("comment", e.comment);
  }
  void operator()(const closed_ev& e) { w.str("reason", e.reason); }
  void operator()(const escalated_ev& e) {
    w.word("from", to_string(e.from));
    w.word("to", to_string(e.to));
    w.word("reason", to_string(e.reason));
    w.str("unit_id", e.unit_id);
    w.str("note", e.note);
    write_clocks(w, "clocks", e.clocks);
  }
  void operator()(const returned_ev& e) { w.str("reason", e.reason); }
  void operator()(const suspended_ev& e) {
    w.str("reason", e.reason);
    write_clocks(w, "clocks", e.clocks);
  }
  void operator()(const resumed_ev& e) { write_clocks(w, "clocks", e.clocks); }
  void operator()(const merged_ev& e) { w.str("into", e.into); }
  void operator()(const absorbed_ev& e) {
    w.str("from", e.from);
    write_appeals(w, "appeals", e.appeals);
  }
  void operator()(const cancelled_ev& e) { w.str("reason", e.reason); }
  void operator()(const reopened_ev& e) {
    w.str("reason", e.reason);
    write_clocks(w, "clocks", e.clocks);
  }
  void operator()(const appeal_joined_ev& e) {
    w.key("appeal");
    write(w, e.a);
  }
  void operator()(const sla_at_risk_ev& e) {
    w.word("clock", to_string(e.clock));
    w.num("ordinal", e.ordinal);
    w.time("due", e.due);
  }
  void operator()(const sla_breached_ev& e) {
    w.word("clock", to_string(e.clock));
    w.time("due", e.due);
  }
};

void write(text_writer& w, const event& e) {
  w.open();
  w.str("event_id", e.id());
  w.str("ticket_id", e.ticket_id);
  w.num("seq", static_cast<std::int64_t>(e.seq));
  w.word("type", event_type(e.body));
  w.num("schema_version", kEventSchemaVersion);
  w.time("at", e.at);
  w.open("actor");
  w.word("role", to_string(e.by.who));
  w.str("id", e.by.id);
  w.close();
  w.str("causation", e.causation);
  w.open("data");
  std::visit(body_writer{w}, e.body);
  w.close();
  w.close();
}

// `joined_apart`: the snapshot form (to_snapshot_text), the joined appeals' count in
// place of the appeals.
void write(text_writer& w, const ticket& t, bool joined_apart = false) {
  w.open();
  w.str("ticket_id", t.id);
  w.num("version", static_cast<std::int64_t>(t.version));
  w.word("status", to_string(t.st));
  if (t.st == status::suspended) w.word("resume_to", to_string(t.resume_to));
  w.str("category", t.category);
  w.str("jurisdiction_id", t.jurisdiction_id);
  w.str("community_id", t.community_id);
  w.word("severity", to_string(t.sev));
  w.word("channel", to_string(t.via));
  w.key("origin");
  write(w, t.origin);
  if (joined_apart) {
    w.num("joined_count", static_cast<std::int64_t>(t.joined.size()));
  } else {
    write_appeals(w, "joined", t.joined);
  }
  if (t.lvl) {
    w.word("level", to_string(*t.lvl));
  } else {
    w.null("level");
  }
  w.str("unit_id", t.unit_id);
  w.word("priority", to_string(t.prio));
  w.str("sla_policy", t.sla_policy);
  w.str("rule_id", t.rule_id);
  w.word("entry_level", to_string(t.entry_level));
  write_clocks(w, "clocks", t.clocks);
  w.open_array("escalations");
  for (const auto& e : t.escalations) write(w, e);
  w.close_array();
  w.num("returns", t.returns);
  if (t.rating) {
    w.num("rating", *t.rating);
  } else {
    w.null("rating");
  }
  w.boolean("verified", t.verified);
  w.str("merged_into", t.merged_into);
  w.open_array("merged_from");
  for (const auto& f : t.merged_from) w.element(f);
  w.close_array();
  w.time("created_at", t.created_at);
  w.time("updated_at", t.updated_at);
  w.opt_time("accepted_at", t.accepted_at);
  w.opt_time("contacted_at", t.contacted_at);
  w.opt_time("resolved_at", t.resolved_at);
  w.opt_time("closed_at", t.closed_at);
  w.opt_time("auto_close_at", t.auto_close_at);
  w.close();
}

template <class T>
std::string text_of(const T& x, std::size_t reserve) {
  text_writer w(reserve);
  write(w, x);
  return w.take();
}

json::object object_of(const std::string& text) { return json::parse(text).as_object(); }

}  // namespace

std::string to_text(const appeal& a) { return text_of(a, 512); }
std::string to_text(const sla_clock& c) { return text_of(c, 256); }
std::string to_text(const escalation_record& e) { return text_of(e, 160); }
std::string to_text(const event& e) { return text_of(e, 1024); }
std::string to_text(const ticket& t) { return text_of(t, 2048 + 400 * t.joined.size()); }
std::string to_snapshot_text(const ticket& t) {
  text_writer w(2048);
  write(w, t, true);
  return w.take();
}

json::object encode(const appeal& a) { return object_of(to_text(a)); }
json::object encode(const sla_clock& c) { return object_of(to_text(c)); }
json::object encode(const escalation_record& e) { return object_of(to_text(e)); }
json::object encode(const event& e) { return object_of(to_text(e)); }
json::object encode(const ticket& t) { return object_of(to_text(t)); }

}  // namespace doorstep::codec
