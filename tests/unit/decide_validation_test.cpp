// tests/unit/decide_validation_test.cpp
// What decide() refuses and how it says so: optimistic concurrency (expected_version),
// missing and invalid fields named by their path, invalid UTF-8, unknown categories and
// places, cross-community triage, and the stamping of the events it does emit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/decide.h"
#include "routing/rulebook.h"
#include "support/test_support.h"

namespace doorstep {
namespace {

using testing::at;

const policy& rules() { return *testing::demo_config().rules; }

instant wednesday() { return at(2026, 3, 4, 10, 0); }

command submit_for(appeal a, std::string ticket_id = "T-v") {
  auto c = testing::submit("runtai-huayuan-b1", "garbage", "src-v");
  std::get<submit_cmd>(c.body).a = std::move(a);
  c.ticket_id = std::move(ticket_id);
  return c;
}

appeal good_appeal() {
  auto c = testing::submit("runtai-huayuan-b1", "garbage", "src-v", "楼下垃圾桶满了没人清运");
  return std::get<submit_cmd>(c.body).a;
}

// A dispatched ticket at version 2 (received, dispatched).
ticket dispatched_ticket() {
  ticket t;
  auto r = decide(t, submit_for(good_appeal()), wednesday(), rules());
  EXPECT_TRUE(r.ok());
  if (r.ok()) t = fold(*r);
  return t;
}

error rejection(const ticket& t, const command& c) {
  auto r = decide(t, c, wednesday(), rules());
  EXPECT_FALSE(r.ok()) << command_name(c.body) << " was accepted";
  return r.ok() ? error{} : r.err();
}

TEST(decide_validation, expected_version_other_than_the_current_one_is_stale_version) {
  const ticket t = dispatched_ticket();
  ASSERT_EQ(t.version, 2u);
  auto c = testing::action("T-v", accept_cmd{});
  c.expected_version = 1;
  EXPECT_EQ(rejection(t, c).code, "stale_version");
  c.expected_version = 3;
  EXPECT_EQ(rejection(t, c).code, "stale_version");
  c.expected_version = 2;
  const auto r = decide(t, c, wednesday(), rules());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->front().seq, 3u);
}

TEST(decide_validation, expected_version_zero_guards_a_submit_against_an_existing_ticket) {
  const ticket t = dispatched_ticket();
  auto c = submit_for(good_appeal());
  c.expected_version = 0;
  EXPECT_EQ(rejection(t, c).code, "stale_version");
  EXPECT_TRUE(decide(ticket{}, c, wednesday(), rules()).ok());
}

TEST(decide_validation, stale_version_is_checked_before_legality) {
  const ticket t = dispatched_ticket();
  auto c = testing::action("T-v", resolve_cmd{""});  // illegal while dispatched
  c.expected_version = 7;
  EXPECT_EQ(rejection(t, c).code, "stale_version");
  c.expected_version.reset();
  EXPECT_EQ(rejection(t, c).code, "illegal_transition");
}

TEST(decide_validation, submit_with_invalid_utf8_description_is_rejected_naming_the_field) {
  appeal a = good_appeal();
  a.description = "垃圾\xff桶";
  auto err = rejection(ticket{}, submit_for(a));
  EXPECT_EQ(err.code, "invalid_field");
  EXPECT_EQ(err.field, "description");
  // A truncated three-byte sequence (the first two bytes of 垃) is invalid too.
  a.description = std::string("\xe5\x9e", 2);
  EXPECT_EQ(rejection(ticket{}, submit_for(a)).field, "description");
}

TEST(decide_validation, invalid_utf8_in_optional_appeal_text_names_its_path) {
  appeal a = good_appeal();
  a.address = "润泰花园\xc0\xaf";  // overlong '/'
  EXPECT_EQ(rejection(ticket{}, submit_for(a)).field, "location.address");
  a = good_appeal();
  a.resident.name = "王\xed\xa0\x80";  // a UTF-16 surrogate encoded as UTF-8
  EXPECT_EQ(rejection(ticket{}, submit_for(a)).field, "resident.name");
  a = good_appeal();
  a.resident.phone = "138\x80";
  EXPECT_EQ(rejection(ticket{}, submit_for(a)).field, "resident.phone");
}

TEST(decide_validation, submit_with_missing_fields_names_each_field) {
  struct case_ {
    void (*clear)(appeal&);
    const char* field;
  };
  const case_ cases[] = {
      {[](appeal& a) { a.category.clear(); }, "category"},
      {[](appeal& a) { a.jurisdiction_id.clear(); }, "location.jurisdiction_id"},
      {[](appeal& a) { a.description.clear(); }, "description"},
  };
  for (const auto& c : cases) {
    appeal a = good_appeal();
    c.clear(a);
    const auto err = rejection(ticket{}, submit_for(a));
    EXPECT_EQ(err.code, "missing_field") << c.field;
    EXPECT_EQ(err.field, c.field);
  }
  const auto err = rejection(ticket{}, submit_for(good_appeal(), ""));
  EXPECT_EQ(err.code, "missing_field");
  EXPECT_EQ(err.field, "ticket_id");
}

TEST(decide_validation, commands_with_missing_required_text_name_the_field) {
  const ticket t = dispatched_ticket();
  const std::vector<std::pair<command_body, std::string>> cases = {
      {note_cmd{""}, "note"},       {return_cmd{""}, "reason"}, {suspend_cmd{""}, "reason"},
      {cancel_cmd{""}, "reason"},   {merge_cmd{""}, "into"},
  };
  for (const auto& [body, field] : cases) {
    const auto err = rejection(t, testing::action("T-v", body));
    EXPECT_EQ(err.code, "missing_field") << command_name(body);
    EXPECT_EQ(err.field, field) << command_name(body);
  }
}

TEST(decide_validation, text_over_4000_bytes_is_invalid) {
  const ticket t = dispatched_ticket();
  std::string long_text;
  while (long_text.size() <= 4000) long_text += "垃圾";  // 6 bytes each
  const auto err = rejection(t, testing::action("T-v", note_cmd{long_text}));
  EXPECT_EQ(err.code, "invalid_field");
  EXPECT_EQ(err.field, "note");
  std::string fits(4000, 'a');
  EXPECT_TRUE(decide(t, testing::action("T-v", note_cmd{fits}), wednesday(), rules()).ok());
}

TEST(decide_validation, source_id_over_400_bytes_is_invalid) {
  appeal a = good_appeal();
  a.source_id = std::string(401, 's');
  const auto err = rejection(ticket{}, submit_for(a));
  EXPECT_EQ(err.code, "invalid_field");
  EXPECT_EQ(err.field, "source_id");
  a.source_id = std::string(400, 's');
  EXPECT_TRUE(decide(ticket{}, submit_for(a), wednesday(), rules()).ok());
}

TEST(decide_validation, unknown_category_and_place_are_rejected_with_their_codes) {
  appeal a = good_appeal();
  a.category = "ufo_sighting";
  auto err = rejection(ticket{}, submit_for(a));
  EXPECT_EQ(err.code, "unknown_category");
  EXPECT_EQ(err.field, "category");
  a = good_appeal();
  a.jurisdiction_id = "runtai-huayuan-b99";
  err = rejection(ticket{}, submit_for(a));
  EXPECT_EQ(err.code, "unknown_jurisdiction");
  EXPECT_EQ(err.field, "location.jurisdiction_id");
  // A street sits above any community: no partition owns it.
  a.jurisdiction_id = "yanling";
  EXPECT_EQ(rejection(ticket{}, submit_for(a)).code, "unknown_jurisdiction");
}

TEST(decide_validation, triage_cannot_move_a_ticket_to_another_community) {
  ticket t = dispatched_ticket();
  auto r = decide(t, testing::action("T-v", return_cmd{"派错了"}), wednesday(), rules());
  ASSERT_TRUE(r.ok());
  t = apply(t, r->front());
  ASSERT_EQ(t.st, status::received);
  const auto err =
      rejection(t, testing::action("T-v", triage_cmd{std::nullopt, std::string("xingyan-jiayuan-b1"), std::nullopt}));
  EXPECT_EQ(err.code, "cross_community");
  EXPECT_EQ(err.field, "jurisdiction_id");
  // Within the community, triage re-routes: 润泰新村 1幢 has its own building head.
  auto ok = decide(t, testing::action("T-v", triage_cmd{std::nullopt, std::string("runtai-xincun-b1"), std::nullopt}),
                   wednesday(), rules());
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ(std::get<dispatched_ev>((*ok)[1].body).unit_id, "runtai-xincun-b1-head");
}

TEST(decide_validation, a_ticket_cannot_merge_into_itself) {
  const ticket t = dispatched_ticket();
  const auto err = rejection(t, testing::action("T-v", merge_cmd{"T-v"}));
  EXPECT_EQ(err.code, "invalid_field");
  EXPECT_EQ(err.field, "into");
}

TEST(decide_validation, submit_stamps_events_with_ticket_seq_time_actor_and_causation) {
  auto c = submit_for(good_appeal(), "T-stamp");
  const auto r = decide(ticket{}, c, wednesday(), rules());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  for (std::size_t i = 0; i < r->size(); ++i) {
    const auto& e = (*r)[i];
    EXPECT_EQ(e.ticket_id, "T-stamp");
    EXPECT_EQ(e.seq, i + 1);
    EXPECT_EQ(e.at, wednesday());
    EXPECT_EQ(e.by.who, role::operator_);
    EXPECT_EQ(e.causation, c.id);
  }
  EXPECT_EQ((*r)[1].id(), "T-stamp/2");
  const auto& rcv = std::get<received_ev>((*r)[0].body);
  EXPECT_EQ(rcv.community_id, "runtai");
  EXPECT_EQ(rcv.a.reported_at, wednesday());  // unset report time becomes now
  EXPECT_EQ(rcv.a.description, "楼下垃圾桶满了没人清运");
  const ticket t = fold(*r);
  EXPECT_EQ(t.id, "T-stamp");
  EXPECT_EQ(t.created_at, wednesday());
  EXPECT_EQ(t.origin.resident.name, "王秀英");
}

TEST(decide_validation, explicit_report_time_is_kept) {
  appeal a = good_appeal();
  a.reported_at = at(2026, 3, 3, 22, 15);
  const auto r = decide(ticket{}, submit_for(a), wednesday(), rules());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<received_ev>(r->front().body).a.reported_at, at(2026, 3, 3, 22, 15));
}

}  // namespace
}  // namespace doorstep
