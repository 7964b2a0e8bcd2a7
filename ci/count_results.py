#!/usr/bin/env python3
"""Counts test cases from a Bazel build-event JSON file and prints `N passed, N failed, N skipped`.

Counts come from each test target's test.xml (gtest cases, rapidcheck properties), so the line
matches what ran. A target that failed without a failing case in its XML (crash, timeout, build
failure) counts as one failure, so a red Bazel run can never print `0 failed`.

Usage: count_results.py BEP_JSON [BAZEL_EXIT_CODE]
"""
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def cases(xml_path):
    passed = failed = skipped = 0
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return None
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("status") == "notrun" \
                or case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    bep = sys.argv[1]
    bazel_rc = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    # Checks .ci/run ran outside Bazel (they need bazel itself), as NAME=EXIT_CODE: one case each.
    extra = [a.split("=", 1) for a in sys.argv[3:]]
    xmls = {}      # label -> last test.xml path (last attempt/shard wins per shard)
    status = {}    # label -> overall status
    for line in open(bep, encoding="utf-8"):
        ev = json.loads(line)
        eid = ev.get("id", {})
        if "testResult" in eid:
            label = eid["testResult"]["label"]
            shard = eid["testResult"].get("shard", 0)
            for out in ev.get("testResult", {}).get("testActionOutput", []):
                if out.get("name") == "test.xml":
                    uri = out.get("uri", "")
                    path = urllib.parse.unquote(urllib.parse.urlparse(uri).path)
                    xmls.setdefault(label, {})[shard] = path
        elif "testSummary" in eid:
            status[eid["testSummary"]["label"]] = ev.get("testSummary", {}).get(
                "overallStatus", "PASSED")
        elif "targetCompleted" in eid and not ev.get("completed", {}).get("success", True):
            status.setdefault(eid["targetCompleted"]["label"], "FAILED_TO_BUILD")
    passed = failed = skipped = 0
    for label in sorted(set(status) | set(xmls)):
        p = f = s = 0
        for path in xmls.get(label, {}).values():
            got = cases(path)
            if got:
                p, f, s = p + got[0], f + got[1], s + got[2]
        st = status.get(label, "PASSED")
        if st != "PASSED" and f == 0:
            f = 1
            print(f"counted as failed: {label} ({st})")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    for name, rc in extra:
        if rc == "0":
            passed += 1
        else:
            failed += 1
            print(f"counted as failed: {name} (exit {rc})")
    if bazel_rc not in (0,) and failed == 0:
        failed = 1
        print(f"counted as failed: bazel exited {bazel_rc}")
    if passed + failed == 0:
        failed = 1
        print("counted as failed: no test ran")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
