// tests/unit/codec_command_test.cpp
// Inbound JSON: decode_command_body() turns {"command": "<name>", ...fields} into a
// command body, refusing unknown commands, wrong types, missing fields, invalid enum
// values with the exact error code and the field's path; parse() refuses malformed JSON
// and invalid UTF-8, so no decoded text holds invalid UTF-8.
#include <gtest/gtest.h>

#include <string>

#include "domain/codec.h"

namespace doorstep {
namespace {

namespace json = boost::json;

json::object obj(std::string_view text) {
  auto v = codec::parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() && v->is_object() ? v->as_object() : json::object{};
}

// The error of a body that must be refused.
error refusal(const json::object& o, std::string_view name = {}) {
  auto r = codec::decode_command_body(o, name);
  EXPECT_FALSE(r.ok()) << json::serialize(o) << " was accepted as " << (r.ok() ? command_name(*r) : "");
  return r.ok() ? error{} : r.err();
}

void expect_refused(std::string_view text, const std::string& code, const std::string& field) {
  const auto err = refusal(obj(text));
  EXPECT_EQ(err.code, code) << text;
  EXPECT_EQ(err.field, field) << text;
}

constexpr std::string_view kSubmit = R"({
  "command": "submit", "channel": "qr_plate", "category": "street_light", "severity": "normal",
  "description": "小区门口路灯不亮", "location": {"jurisdiction_id": "runtai-huayuan-b1",
  "address": "润泰花园南门"}, "resident": {"name": "王秀英", "phone": "13812345678"},
  "source_id": "qr-0001", "reported_at": "2026-03-04T21:05:00+08:00"})";

TEST(codec_command, submit_reads_the_appeal_from_the_top_level) {
  auto r = codec::decode_command_body(obj(kSubmit));
  ASSERT_TRUE(r.ok()) << r.err().message;
  const auto& a = std::get<submit_cmd>(*r).a;
  EXPECT_EQ(a.via, channel::qr_plate);
  EXPECT_EQ(a.category, "street_light");
  EXPECT_EQ(a.description, "小区门口路灯不亮");
  EXPECT_EQ(a.jurisdiction_id, "runtai-huayuan-b1");
  EXPECT_EQ(a.address, "润泰花园南门");
  EXPECT_EQ(a.resident.name, "王秀英");
  EXPECT_EQ(a.source_id, "qr-0001");
  EXPECT_EQ(to_millis(a.reported_at), 1772629500000);  // 2026-03-04T13:05:00Z
}

TEST(codec_command, every_public_command_decodes_its_fields) {
  auto rate = codec::decode_command_body(obj(R"({"command":"rate","score":5,"comment":"非常满意"})"));
  ASSERT_TRUE(rate.ok());
  EXPECT_EQ(std::get<rate_cmd>(*rate).score, 5);
  EXPECT_EQ(std::get<rate_cmd>(*rate).comment, "非常满意");
  auto verify = codec::decode_command_body(obj(R"({"command":"verify","passed":false,"note":"仍未修好"})"));
  ASSERT_TRUE(verify.ok());
  EXPECT_FALSE(std::get<verify_cmd>(*verify).passed);
  // passed defaults to true: "verify" alone confirms the result.
  auto verified = codec::decode_command_body(obj(R"({"command":"verify"})"));
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(std::get<verify_cmd>(*verified).passed);
  auto dispatch = codec::decode_command_body(obj(R"({"command":"dispatch","level":"community"})"));
  ASSERT_TRUE(dispatch.ok());
  EXPECT_EQ(std::get<dispatch_cmd>(*dispatch).to, level::community);
  EXPECT_TRUE(std::get<dispatch_cmd>(*dispatch).unit_id.empty());
  auto esc = codec::decode_command_body(obj(R"({"command":"escalate"})"));
  ASSERT_TRUE(esc.ok());
  EXPECT_EQ(std::get<escalate_cmd>(*esc).reason, escalation_reason::handler_request);
  auto triage = codec::decode_command_body(obj(R"({"command":"triage","severity":"urgent"})"));
  ASSERT_TRUE(triage.ok());
  EXPECT_EQ(std::get<triage_cmd>(*triage).sev, severity::urgent);
  EXPECT_FALSE(std::get<triage_cmd>(*triage).category.has_value());
  auto merge = codec::decode_command_body(obj(R"({"command":"merge","into":"T-42"})"));
  ASSERT_TRUE(merge.ok());
  EXPECT_EQ(std::get<merge_cmd>(*merge).into, "T-42");
  for (std::string_view name : {"accept", "resume"}) {
    json::object o;
    o["command"] = name;
    auto r = codec::decode_command_body(o);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(command_name(*r), name);
  }
}

TEST(codec_command, the_http_action_name_overrides_the_command_member) {
  auto r = codec::decode_command_body(obj(R"({"command":"accept","reason":"居民撤回"})"), "cancel");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<cancel_cmd>(*r).reason, "居民撤回");
}

TEST(codec_command, unknown_commands_are_refused_naming_command_or_action) {
  expect_refused(R"({"command":"fly"})", "invalid_field", "command");
  const auto err = refusal(obj("{}"), "fly");
  EXPECT_EQ(err.code, "invalid_field");
  EXPECT_EQ(err.field, "action");
  expect_refused("{}", "missing_field", "command");
}

TEST(codec_command, internal_commands_are_not_accepted_from_outside) {
  expect_refused(R"({"command":"absorb","from":"T-1"})", "invalid_field", "command");
  expect_refused(R"({"command":"timer_fired"})", "invalid_field", "command");
}

TEST(codec_command, wrong_types_are_invalid_fields) {
  expect_refused(R"({"command":"rate","score":"5"})", "invalid_field", "score");
  expect_refused(R"({"command":"rate","score":4.5})", "invalid_field", "score");
  expect_refused(R"({"command":"verify","passed":"yes"})", "invalid_field", "passed");
  expect_refused(R"({"command":"note","note":42})", "invalid_field", "note");
  expect_refused(R"({"command":"return","reason":["派错了"]})", "invalid_field", "reason");
  expect_refused(R"({"command":"submit","category":"garbage","description":"满了","location":"1号楼"})",
                 "invalid_field", "location");
  expect_refused(R"({"command":"submit","category":"garbage","description":"满了","location":{"jurisdiction_id":7}})",
                 "invalid_field", "location.jurisdiction_id");
  expect_refused(R"({"command":"submit","category":"garbage","description":"满了",
                    "location":{"jurisdiction_id":"b1"},"resident":{"name":true}})",
                 "invalid_field", "resident.name");
  expect_refused(R"({"command":"submit","category":"garbage","description":"满了",
                    "location":{"jurisdiction_id":"b1"},"reported_at":"yesterday"})",
                 "invalid_field", "reported_at");
}

TEST(codec_command, scores_outside_one_to_five_are_invalid) {
  expect_refused(R"({"command":"rate","score":0})", "invalid_field", "score");
  expect_refused(R"({"command":"rate","score":6})", "invalid_field", "score");
  expect_refused(R"({"command":"rate","score":-1})", "invalid_field", "score");
}

TEST(codec_command, missing_required_fields_are_named) {
  expect_refused(R"({"command":"rate"})", "missing_field", "score");
  expect_refused(R"({"command":"rate","score":null})", "missing_field", "score");
  expect_refused(R"({"command":"dispatch"})", "missing_field", "level");
  expect_refused(R"({"command":"note"})", "missing_field", "note");
  expect_refused(R"({"command":"return"})", "missing_field", "reason");
  expect_refused(R"({"command":"suspend"})", "missing_field", "reason");
  expect_refused(R"({"command":"cancel"})", "missing_field", "reason");
  expect_refused(R"({"command":"reopen"})", "missing_field", "reason");
  expect_refused(R"({"command":"merge"})", "missing_field", "into");
  expect_refused(R"({"command":"submit","description":"满了","location":{"jurisdiction_id":"b1"}})",
                 "missing_field", "category");
  expect_refused(R"({"command":"submit","category":"garbage","location":{"jurisdiction_id":"b1"}})",
                 "missing_field", "description");
  expect_refused(R"({"command":"submit","category":"garbage","description":"满了"})", "missing_field",
                 "location");
  expect_refused(R"({"command":"submit","category":"garbage","description":"满了","location":{}})",
                 "missing_field", "location.jurisdiction_id");
}

TEST(codec_command, invalid_enum_values_are_named) {
  expect_refused(R"({"command":"dispatch","level":"province"})", "invalid_field", "level");
  expect_refused(R"({"command":"dispatch","level":"Grid"})", "invalid_field", "level");
  expect_refused(R"({"command":"escalate","reason":"angry"})", "invalid_field", "reason");
  expect_refused(R"({"command":"triage","severity":"extreme"})", "invalid_field", "severity");
  expect_refused(R"({"command":"submit","channel":"fax","category":"garbage","description":"满了",
                    "location":{"jurisdiction_id":"b1"}})",
                 "invalid_field", "channel");
  expect_refused(R"({"command":"submit","severity":"high","category":"garbage","description":"满了",
                    "location":{"jurisdiction_id":"b1"}})",
                 "invalid_field", "severity");
}

TEST(codec_command, an_empty_string_for_a_required_enum_is_refused) {
  expect_refused(R"({"command":"dispatch","level":""})", "invalid_field", "level");
  expect_refused(R"({"command":"triage","severity":""})", "invalid_field", "severity");
}

// Decoders take their values from parse(), which refuses invalid UTF-8 anywhere in a
// body, so decode_command_body does not check text again. Every form of invalid UTF-8
// (a stray byte, a truncated sequence, an encoded surrogate, an overlong form, a code
// point past U+10FFFF, an unpaired \u escape), in every kind of text field, is refused
// with the UTF-8 message; the same body with the Chinese text intact decodes.
TEST(codec_command, invalid_utf8_in_any_text_field_is_refused_by_parse) {
  const std::string valid(kSubmit);
  for (std::string_view text : {"小区门口路灯不亮", "王秀英", "润泰花园南门"}) {
    const auto at = valid.find(text);
    ASSERT_NE(at, std::string::npos) << text;
    for (std::string_view bad : {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"}) {
      std::string body = valid;
      body.insert(at + 3, bad);  // after the first character
      const auto r = codec::parse(body);
      ASSERT_FALSE(r.ok()) << text;
      EXPECT_EQ(r.err().code, "invalid_json") << text;
      EXPECT_EQ(r.err().message, "the body is not valid UTF-8") << text;
    }
    std::string escaped = valid;
    escaped.insert(at + 3, "\\ud800");
    const auto r = codec::parse(escaped);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.err().code, "invalid_json") << text;
  }
  const auto body = codec::decode_command_body(obj(valid));
  ASSERT_TRUE(body.ok());
  const auto& a = std::get<submit_cmd>(*body).a;
  EXPECT_EQ(a.description, "小区门口路灯不亮");
  EXPECT_EQ(a.resident.name, "王秀英");
  EXPECT_EQ(a.address, "润泰花园南门");
}

TEST(codec_command, parse_refuses_malformed_json) {
  for (std::string_view bad : {"", "{", R"({"a":})", "[1,2", R"({"a":1} x)", R"({'a':1})", R"({"a":01})",
                               "{\"a\":\"\x01\"}"}) {
    const auto r = codec::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.err().code, "invalid_json") << bad;
  }
}

TEST(codec_command, parse_refuses_invalid_utf8_and_accepts_chinese) {
  auto r = codec::parse("{\"note\":\"\xff\"}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "invalid_json");
  r = codec::parse("{\"note\":\"\xe8\xb7\xaf\"}");  // 路
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("note").as_string(), "路");
  r = codec::parse(R"({"note":"\u8def"})");  // the escaped form decodes to the same text
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("note").as_string(), "路");
}

TEST(codec_command, parse_refuses_nesting_deeper_than_32) {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_EQ(codec::parse(deep).err().code, "invalid_json");
  std::string ok(20, '[');
  ok += std::string(20, ']');
  EXPECT_TRUE(codec::parse(ok).ok());
}

}  // namespace
}  // namespace doorstep
