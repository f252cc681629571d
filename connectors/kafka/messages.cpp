#include "kafka/messages.h"

#include <boost/json/monotonic_resource.hpp>
#include <cstddef>

#include "api/auth.h"
#include "domain/codec.h"
#include "domain/utf8.h"

namespace doorstep::kafka {
namespace {

namespace json = boost::json;

// A stable fingerprint of a payload: a command id reused with other content is a conflict.
std::string fingerprint(std::string_view payload) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : payload) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return std::to_string(h);
}

std::optional<error> decode_appeal(const routing::rulebook& rules, const raw_message& m, const json::object& o,
                                   instant now, command& cmd) {
  auto body = codec::decode_command_body(o, "submit");
  if (!body) return make_error("schema_violation", body.err().message, body.err().field);
  auto& a = std::get<submit_cmd>(*body).a;
  if (a.source_id.empty()) {
    return make_error("schema_violation", "source_id is required on the appeals topic (it makes redelivery harmless)",
                      "source_id");
  }
  if (o.find("channel") == o.end()) a.via = channel::integration;
  if (a.jurisdiction_id.empty()) {
    auto located = rules.locate(a.address);
    if (!located) return located.err();
    a.jurisdiction_id = *located;
  }
  auto community = rules.community_of(a.jurisdiction_id);
  if (!community) return community.err();
  if (*community != m.key) {
    return make_error("wrong_key", "message key '" + m.key.value_or("") + "' is not the community of place " +
                                       a.jurisdiction_id + " (" + *community + ")");
  }
  if (a.reported_at == instant{}) a.reported_at = m.timestamp_ms > 0 ? from_millis(m.timestamp_ms) : now;
  cmd.id = "kafka-" + a.source_id;
  cmd.body = std::move(*body);
  return std::nullopt;
}

std::optional<error> decode_command(const raw_message& m, const json::object& o, command& cmd) {
  auto text = [&](std::string_view name) -> result<std::string> {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string() || it->value().as_string().empty()) {
      return make_error("schema_violation", std::string(name) + " is required (a non-empty string)", std::string(name));
    }
    return std::string(it->value().as_string());
  };
  auto action = text("action");
  if (!action) return action.err();
  auto ticket_id = text("ticket_id");
  if (!ticket_id) return ticket_id.err();
  auto command_id = text("command_id");
  if (!command_id) return command_id.err();
  if (command_id->size() > 200) return make_error("schema_violation", "command_id is longer than 200 bytes", "command_id");
  if (*action == "submit") {
    return make_error("schema_violation", "appeals go to the appeals topic, not the commands topic", "action");
  }
  auto body = codec::decode_command_body(o, *action);
  if (!body) return make_error("schema_violation", body.err().message, body.err().field);
  if (!api::role_may(role::integration, *action)) {
    return make_error("forbidden", "an integration may not " + *action + " (see docs/kafka.md)", "action");
  }
  std::string actor_id = "kafka:" + m.topic;
  if (auto it = o.find("actor_id"); it != o.end()) {
    if (!it->value().is_string() || it->value().as_string().empty() || !is_valid_utf8(it->value().as_string())) {
      return make_error("schema_violation", "actor_id must be a non-empty string", "actor_id");
    }
    if (it->value().as_string().size() > 200) {
      return make_error("schema_violation", "actor_id is longer than 200 bytes", "actor_id");
    }
    actor_id = std::string(it->value().as_string());
  }
  if (auto it = o.find("expected_version"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_int64() || it->value().as_int64() < 0) {
      return make_error("schema_violation", "expected_version must be a non-negative integer", "expected_version");
    }
    cmd.expected_version = static_cast<std::uint64_t>(it->value().as_int64());
  }
  cmd.id = "kafka-" + *command_id;
  cmd.ticket_id = *ticket_id;
  cmd.by = actor{role::integration, actor_id};
  cmd.idempotency_key = "kafka:" + *command_id;
  cmd.idempotency_fingerprint = fingerprint(m.payload);
  cmd.body = std::move(*body);
  return std::nullopt;
}

std::optional<error> decode(const routing::rulebook& rules, const config::kafka_settings& k, inbound_kind kind,
                            const raw_message& m, instant now, command& cmd) {
  if (m.payload.size() > k.max_message_bytes) {
    return make_error("too_large", "the message has " + std::to_string(m.payload.size()) + " bytes, more than " +
                                       std::to_string(k.max_message_bytes) + " (kafka.max_message_bytes)");
  }
  if (!m.key || m.key->empty()) {
    return make_error("wrong_key", "the message has no key; key it by the community id");
  }
  // The parsed tree lives only while the command is decoded from it (the command holds
  // strings of its own): in a stack buffer, spilling to the heap only for a large
  // message, and dropped whole instead of node by node.
  alignas(std::max_align_t) unsigned char buffer[8192];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  auto parsed = codec::parse(m.payload, &arena);
  if (!parsed) return make_error("invalid_json", parsed.err().message);
  if (!parsed->is_object()) return make_error("schema_violation", "the message must be a JSON object");
  cmd.by = actor{role::integration, "kafka:" + m.topic};
  return kind == inbound_kind::appeal ? decode_appeal(rules, m, parsed->as_object(), now, cmd)
                                      : decode_command(m, parsed->as_object(), cmd);
}

}  // namespace

routed_job route_message(const routing::rulebook& rules, unsigned partitions, const config::kafka_settings& k,
                         inbound_kind kind, raw_message m, instant now) {
  routed_job out;
  out.partition = runtime::partition_for_community(m.key.value_or(""), partitions);
  auto refused = decode(rules, k, kind, m, now, out.job.cmd);
  auto in = std::make_shared<runtime::inbound>();
  in->topic = std::move(m.topic);
  in->partition = m.partition;
  in->offset = m.offset;
  in->timestamp_ms = m.timestamp_ms;
  in->key = std::move(m.key);
  in->payload = std::move(m.payload);
  in->refused = std::move(refused);
  out.job.in = std::move(in);
  return out;
}

}  // namespace doorstep::kafka
