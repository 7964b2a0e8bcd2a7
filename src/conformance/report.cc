#include "src/conformance/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace crh::conformance {

namespace {

using nlohmann::json;

std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        // XML 1.0 forbids most control characters; CRIU logs rarely have them, but be safe.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          o += ' ';
        } else {
          o += c;
        }
    }
  }
  return o;
}

std::string OneLine(std::string s, size_t max = 300) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

std::string Seconds(double s) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(3) << s;
  return o.str();
}

std::string Group(const std::string& id) {
  auto dot = id.find('.');
  return dot == std::string::npos ? id : id.substr(0, dot);
}

const CheckResult* Find(const SuiteReport& r, const std::string& id) {
  for (const auto& c : r.results) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// Check IDs in the order of the first report that has each.
std::vector<std::string> RowOrder(const std::vector<SuiteReport>& reports) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& r : reports) {
    for (const auto& c : r.results) {
      if (seen.insert(c.id).second) ids.push_back(c.id);
    }
  }
  return ids;
}

bool Differs(const std::vector<SuiteReport>& reports, const std::string& id) {
  std::set<std::string> outcomes;
  for (const auto& r : reports) {
    const CheckResult* c = Find(r, id);
    outcomes.insert(c ? std::string(OutcomeName(c->outcome)) : "absent");
  }
  return outcomes.size() > 1;
}

std::string TitleOf(const std::vector<SuiteReport>& reports, const std::string& id) {
  for (const auto& r : reports) {
    if (const CheckResult* c = Find(r, id)) return c->title;
  }
  return "";
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kSkip: return "skip";
  }
  return "fail";
}

int SuiteReport::Count(Outcome o) const {
  return static_cast<int>(std::count_if(results.begin(), results.end(),
                                        [o](const CheckResult& c) { return c.outcome == o; }));
}

std::string SuiteReport::Column() const {
  if (runtime_version.empty() || runtime_name.find(runtime_version) != std::string::npos) {
    return runtime_name;
  }
  return runtime_name + " (" + runtime_version + ")";
}

std::string ToJson(const SuiteReport& r) {
  json checks = json::array();
  for (const auto& c : r.results) {
    json j = {{"id", c.id},           {"title", c.title},
              {"expect", c.expect},   {"why", c.why},
              {"result", OutcomeName(c.outcome)}, {"reason", c.reason},
              {"seconds", std::round(c.seconds * 1000) / 1000}};
    if (c.outcome == Outcome::kFail && !c.log.empty()) j["log"] = c.log;
    checks.push_back(j);
  }
  json out = {
      {"format", "crh-conformance/1"},
      {"runtime",
       {{"name", r.runtime_name}, {"path", r.runtime_path}, {"version", r.runtime_version}}},
      {"criu", {{"path", r.criu_path}, {"version", r.criu_version}}},
      {"seconds", std::round(r.seconds * 10) / 10},
      {"summary",
       {{"pass", r.Count(Outcome::kPass)},
        {"fail", r.Count(Outcome::kFail)},
        {"skip", r.Count(Outcome::kSkip)}}},
      {"checks", checks}};
  return out.dump(2) + "\n";
}

Result<SuiteReport> ParseReport(const std::string& text, const std::string& origin) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return InvalidArgument(origin + ": not a JSON object");
  if (j.value("format", "") != "crh-conformance/1") {
    return InvalidArgument(origin + ": format is not \"crh-conformance/1\"");
  }
  SuiteReport r;
  try {
    r.runtime_name = j.at("runtime").value("name", "");
    r.runtime_path = j.at("runtime").value("path", "");
    r.runtime_version = j.at("runtime").value("version", "");
    if (j.contains("criu")) {
      r.criu_path = j["criu"].value("path", "");
      r.criu_version = j["criu"].value("version", "");
    }
    r.seconds = j.value("seconds", 0.0);
    for (const auto& c : j.at("checks")) {
      CheckResult cr;
      cr.id = c.at("id").get<std::string>();
      cr.title = c.value("title", "");
      cr.expect = c.value("expect", "");
      cr.why = c.value("why", "");
      std::string res = c.at("result").get<std::string>();
      if (res == "pass") {
        cr.outcome = Outcome::kPass;
      } else if (res == "skip") {
        cr.outcome = Outcome::kSkip;
      } else if (res == "fail") {
        cr.outcome = Outcome::kFail;
      } else {
        return InvalidArgument(origin + ": check " + cr.id + ": bad result \"" + res + "\"");
      }
      cr.reason = c.value("reason", "");
      cr.seconds = c.value("seconds", 0.0);
      cr.log = c.value("log", "");
      r.results.push_back(std::move(cr));
    }
  } catch (const json::exception& e) {
    return InvalidArgument(origin + ": " + e.what());
  }
  return r;
}

Result<SuiteReport> LoadReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read report " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseReport(ss.str(), path);
}

void TapHeader(std::ostream& out, const std::string& runtime, size_t planned) {
  out << "TAP version 13\n1.." << planned << "\n# crh conformance: " << runtime << "\n";
  out.flush();
}

void TapLine(std::ostream& out, size_t number, const CheckResult& r) {
  out << (r.outcome == Outcome::kFail ? "not ok " : "ok ") << number << " - " << r.id << ": "
      << r.title;
  if (r.outcome == Outcome::kSkip) out << " # SKIP " << OneLine(r.reason);
  out << "\n";
  if (r.outcome == Outcome::kFail) {
    out << "  ---\n  expected: " << json(r.expect).dump() << "\n  reason: " << json(r.reason).dump()
        << "\n  duration_ms: " << static_cast<long>(r.seconds * 1000) << "\n";
    if (!r.log.empty()) {
      out << "  log: |\n";
      std::istringstream lines(r.log);
      for (std::string l; std::getline(lines, l);) out << "    " << l << "\n";
    }
    out << "  ...\n";
  }
  out.flush();
}

std::string ToJUnit(const std::vector<SuiteReport>& reports) {
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  for (const auto& r : reports) {
    o << "  <testsuite name=\"conformance." << XmlEscape(r.runtime_name) << "\" tests=\""
      << r.results.size() << "\" failures=\"" << r.Count(Outcome::kFail) << "\" skipped=\""
      << r.Count(Outcome::kSkip) << "\" time=\"" << Seconds(r.seconds) << "\">\n";
    for (const auto& c : r.results) {
      o << "    <testcase classname=\"" << XmlEscape(r.runtime_name + "." + Group(c.id))
        << "\" name=\"" << XmlEscape(c.id) << "\" time=\"" << Seconds(c.seconds) << "\"";
      if (c.outcome == Outcome::kPass) {
        o << "/>\n";
        continue;
      }
      o << ">\n";
      if (c.outcome == Outcome::kSkip) {
        o << "      <skipped message=\"" << XmlEscape(OneLine(c.reason)) << "\"/>\n";
      } else {
        o << "      <failure message=\"" << XmlEscape(OneLine(c.reason)) << "\">"
          << XmlEscape("expected: " + c.expect + "\n" + c.reason + "\n\n" + c.log)
          << "</failure>\n";
      }
      o << "    </testcase>\n";
    }
    o << "  </testsuite>\n";
  }
  o << "</testsuites>\n";
  return o.str();
}

std::string MatrixMarkdown(const std::vector<SuiteReport>& reports) {
  std::ostringstream o;
  std::vector<std::string> notes;
  auto cell = [&](const SuiteReport& r, const std::string& id) -> std::string {
    const CheckResult* c = Find(r, id);
    if (!c) return "–";
    if (c->outcome == Outcome::kPass) return "pass";
    notes.push_back("`" + id + "` on " + r.Column() + ": " + OneLine(c->reason, 400));
    std::string tag = "[" + std::to_string(notes.size()) + "]";
    return c->outcome == Outcome::kFail ? "**FAIL** " + tag : "skip " + tag;
  };
  auto table = [&](const std::vector<std::string>& ids) {
    o << "| check |";
    for (const auto& r : reports) o << " " << r.Column() << " |";
    o << "\n|---|";
    for (size_t i = 0; i < reports.size(); ++i) o << "---|";
    o << "\n";
    for (const auto& id : ids) {
      o << "| `" << id << "` " << TitleOf(reports, id) << " |";
      for (const auto& r : reports) o << " " << cell(r, id) << " |";
      o << "\n";
    }
  };
  std::vector<std::string> all = RowOrder(reports), diff;
  for (const auto& id : all) {
    if (Differs(reports, id)) diff.push_back(id);
  }
  o << "<!-- Generated by ci/conformance-matrix.sh; do not edit by hand. -->\n";
  o << "# Checkpoint/restore conformance matrix\n\n";
  for (const auto& r : reports) {
    o << "- **" << r.Column() << "** (" << r.runtime_path << ", CRIU " << r.criu_version
      << "): " << r.Count(Outcome::kPass) << " pass, " << r.Count(Outcome::kFail) << " fail, "
      << r.Count(Outcome::kSkip) << " skip, " << Seconds(r.seconds) << " s\n";
  }
  o << "\n## Where the runtimes differ (" << diff.size() << " checks)\n\n";
  if (diff.empty()) {
    o << "No differences.\n";
  } else {
    table(diff);
  }
  o << "\n## All checks (" << all.size() << ")\n\n";
  table(all);
  o << "\n## Notes\n\n";
  for (size_t i = 0; i < notes.size(); ++i) o << "[" << i + 1 << "] " << notes[i] << "\n\n";
  return o.str();
}

std::string MatrixHtml(const std::vector<SuiteReport>& reports) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<!-- Generated by ci/conformance-matrix.sh; do not edit by hand. -->\n"
    << "<html><head><meta charset=\"utf-8\"><title>crh conformance matrix</title>\n<style>\n"
    << "body{font-family:sans-serif}table{border-collapse:collapse}"
    << "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}"
    << ".pass{background:#d4f7d4}.fail{background:#f7c8c8;font-weight:bold}"
    << ".skip{background:#eee;color:#666}.diff td:first-child{border-left:4px solid #e08000}\n"
    << "</style></head><body>\n<h1>Checkpoint/restore conformance matrix</h1>\n<ul>\n";
  for (const auto& r : reports) {
    o << "<li><b>" << XmlEscape(r.Column()) << "</b> (" << XmlEscape(r.runtime_path)
      << ", CRIU " << XmlEscape(r.criu_version) << "): " << r.Count(Outcome::kPass) << " pass, "
      << r.Count(Outcome::kFail) << " fail, " << r.Count(Outcome::kSkip) << " skip</li>\n";
  }
  o << "</ul>\n<p>Rows marked on the left differ between runtimes. Hover a cell for the reason."
    << "</p>\n<table>\n<tr><th>check</th><th>title</th>";
  for (const auto& r : reports) o << "<th>" << XmlEscape(r.Column()) << "</th>";
  o << "</tr>\n";
  for (const auto& id : RowOrder(reports)) {
    o << "<tr" << (Differs(reports, id) ? " class=\"diff\"" : "") << "><td><code>"
      << XmlEscape(id) << "</code></td><td>" << XmlEscape(TitleOf(reports, id)) << "</td>";
    for (const auto& r : reports) {
      const CheckResult* c = Find(r, id);
      if (!c) {
        o << "<td>–</td>";
        continue;
      }
      std::string name(OutcomeName(c->outcome));
      o << "<td class=\"" << name << "\" title=\""
        << XmlEscape(c->reason.empty() ? c->expect : OneLine(c->reason, 1000)) << "\">" << name
        << "</td>";
    }
    o << "</tr>\n";
  }
  o << "</table>\n</body></html>\n";
  return o.str();
}

bool IsInformational(const std::string& id) { return id == "fault.image.truncated-pages"; }

GateDiff Diff(const SuiteReport& baseline, const SuiteReport& candidate) {
  GateDiff d;
  std::set<std::string> in_base;
  for (const auto& b : baseline.results) {
    in_base.insert(b.id);
    const CheckResult* c = Find(candidate, b.id);
    GateRow row{b.id, std::string(OutcomeName(b.outcome)),
                c ? std::string(OutcomeName(c->outcome)) : "absent",
                c ? c->reason : "not run by the candidate"};
    bool base_pass = b.outcome == Outcome::kPass;
    bool cand_pass = c && c->outcome == Outcome::kPass;
    if (IsInformational(b.id)) {
      row.reason = "informational (not gated): " + row.reason;
      d.unchanged.push_back(row);
    } else if (base_pass && !cand_pass) {
      d.regressions.push_back(row);
    } else if (!base_pass && cand_pass) {
      d.fixes.push_back(row);
    } else {
      d.unchanged.push_back(row);
    }
  }
  for (const auto& c : candidate.results) {
    if (!in_base.count(c.id)) {
      d.added.push_back({c.id, "absent", std::string(OutcomeName(c.outcome)), c.reason});
    }
  }
  return d;
}

std::string DiffTable(const GateDiff& d, const SuiteReport& baseline,
                      const SuiteReport& candidate) {
  std::ostringstream o;
  o << "gate: baseline " << baseline.Column() << " vs candidate " << candidate.Column() << " ("
    << candidate.runtime_path << ")\n";
  auto section = [&](const char* title, const std::vector<GateRow>& rows, bool reasons) {
    o << "\n" << title << " (" << rows.size() << ")\n";
    if (rows.empty()) return;
    size_t w = 5;
    for (const auto& r : rows) w = std::max(w, r.id.size());
    o << "  " << std::left << std::setw(static_cast<int>(w)) << "check" << "  baseline  candidate"
      << (reasons ? "  reason" : "") << "\n";
    for (const auto& r : rows) {
      o << "  " << std::left << std::setw(static_cast<int>(w)) << r.id << "  " << std::setw(8)
        << r.baseline << "  " << std::setw(9) << r.candidate;
      if (reasons && !r.reason.empty()) o << "  " << OneLine(r.reason, 200);
      o << "\n";
    }
  };
  section("REGRESSIONS: passed in the baseline, not in the candidate", d.regressions, true);
  section("fixes: pass now, did not in the baseline", d.fixes, false);
  section("new checks (not in the baseline, not gated)", d.added, true);
  o << "\nunchanged: " << d.unchanged.size() << "\n";
  o << (d.ok() ? "gate: PASS\n" : "gate: FAIL (" + std::to_string(d.regressions.size()) +
                                       " regression(s))\n");
  return o.str();
}

std::string GateJUnit(const GateDiff& d, const SuiteReport& candidate) {
  std::ostringstream o;
  size_t n = d.regressions.size() + d.fixes.size() + d.unchanged.size();
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"gate."
    << XmlEscape(candidate.runtime_name) << "\" tests=\"" << n << "\" failures=\""
    << d.regressions.size() << "\">\n";
  auto row = [&](const GateRow& r, bool fail) {
    o << "    <testcase classname=\"gate." << XmlEscape(Group(r.id)) << "\" name=\""
      << XmlEscape(r.id) << "\"";
    if (!fail) {
      o << "/>\n";
      return;
    }
    o << ">\n      <failure message=\"" << XmlEscape("regression: " + r.baseline + " -> " +
                                                    r.candidate)
      << "\">" << XmlEscape(r.reason) << "</failure>\n    </testcase>\n";
  };
  for (const auto& r : d.regressions) row(r, true);
  for (const auto& r : d.fixes) row(r, false);
  for (const auto& r : d.unchanged) row(r, false);
  o << "  </testsuite>\n</testsuites>\n";
  return o.str();
}

}  // namespace crh::conformance
