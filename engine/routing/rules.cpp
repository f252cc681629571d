#include "routing/rules.h"

#include <algorithm>

namespace doorstep::routing {
namespace {
template <class T>
bool any_of_or_empty(const std::vector<T>& options, const T& value) {
  return options.empty() || std::find(options.begin(), options.end(), value) != options.end();
}
}  // namespace

bool matches(const rule& r, const appeal& a, severity effective, int local_minute,
             const jurisdiction_tree& tree) {
  const rule_match& m = r.match;
  if (!any_of_or_empty(m.categories, a.category)) return false;
  if (!any_of_or_empty(m.severities, effective)) return false;
  if (!any_of_or_empty(m.channels, a.via)) return false;
  if (!m.jurisdictions.empty() &&
      std::none_of(m.jurisdictions.begin(), m.jurisdictions.end(),
                   [&](const std::string& root) { return tree.in_subtree(a.jurisdiction_id, root); })) {
    return false;
  }
  if (!m.keywords.empty() &&
      std::none_of(m.keywords.begin(), m.keywords.end(),
                   [&](const std::string& k) { return a.description.find(k) != std::string::npos; })) {
    return false;
  }
  if (m.hours && !m.hours->contains(local_minute)) return false;
  return true;
}

}  // namespace doorstep::routing
