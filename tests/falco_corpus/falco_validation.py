"""Falco's -V contract, checked as falcosecurity/testing checks falco
(pkg/falco/tester_output_validation.go): `kestrel -o json_output=true -V F1
[-V F2 ...]` prints one JSON object {"falco_load_results": [one result per
file]}; each expected error or warning must be among the files' errors or
warnings with the same code, an item_type and item_name among its context
locations, and the same message (or one containing message_contains);
validate_ok files must be successful. The same command without json_output
must exit the same way and print "FILE: Ok" or "FILE: Invalid" per file.
Used by falco_corpus_test.py for every validate case.
"""

import json
import os


# Older Falco named LOAD_UNKNOWN_FILTER LOAD_UNKNOWN_FIELD; the definitions
# still use the old name (validate_skip_unknown_noevt). Falco today emits
# LOAD_UNKNOWN_FILTER (userspace/engine/falco_load_result.cpp).
RENAMED_CODES = {"LOAD_UNKNOWN_FIELD": "LOAD_UNKNOWN_FILTER"}


def shape_problems(doc, files):
    """What is wrong with the JSON's shape, as a list."""
    problems = []
    results = doc.get("falco_load_results") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        return ["no falco_load_results list"]
    if [r.get("name") for r in results] != files:
        problems.append("result names %s, expected %s" % ([r.get("name") for r in results], files))
    for r in results:
        if not isinstance(r.get("successful"), bool):
            problems.append("%s: successful is not a bool" % r.get("name"))
        if bool(r.get("errors")) == r.get("successful"):
            problems.append("%s: successful=%s with %d errors" % (r.get("name"), r.get("successful"), len(r.get("errors", []))))
        for kind in ("errors", "warnings"):
            for m in r.get(kind, []):
                for key in ("code", "codedesc", "message"):
                    if not isinstance(m.get(key), str) or (key != "message" and not m.get(key)):
                        problems.append("%s: a %s entry without %s: %s" % (r.get("name"), kind, key, m))
                locations = m.get("context", {}).get("locations")
                if not isinstance(locations, list) or not locations:
                    problems.append("%s: a %s entry without context.locations: %s" % (r.get("name"), kind, m))
                    continue
                for loc in locations:
                    pos = loc.get("position", {})
                    if not all(isinstance(pos.get(k), int) for k in ("line", "column", "offset")) or "name" not in pos:
                        problems.append("%s: location without a full position: %s" % (r.get("name"), loc))
                if not isinstance(m["context"].get("snippet"), str):
                    problems.append("%s: a %s entry without context.snippet" % (r.get("name"), kind))
    return problems


def matches(want, got):
    code = RENAMED_CODES.get(want.get("code"), want.get("code"))
    if got.get("code") != code:
        return False
    locations = got.get("context", {}).get("locations", [])
    if not any(loc.get("item_type") == want.get("item_type") for loc in locations):
        return False
    if not any(loc.get("item_name") == want.get("item_name", "") for loc in locations):
        return False
    if "message" in want and got.get("message") != want["message"]:
        return False
    if "message_contains" in want and want["message_contains"] not in got.get("message", ""):
        return False
    return True


def validation_failures(spec, files, status, out, text_status, text_out, as_list):
    """What is wrong with kestrel's -V answers (JSON, then text mode) to the
    case `spec` over `files`, as a list (empty: as Falco)."""
    failures = []
    try:
        doc = json.loads(out)
    except ValueError as e:
        return ["stdout is not one JSON object (%s): %r" % (e, out[:500])]
    failures += shape_problems(doc, files)
    results = doc.get("falco_load_results", [])
    for kind, key in (("error", "validate_errors"), ("warning", "validate_warnings")):
        got = [m for r in results for m in r.get(kind + "s", [])]
        for want in as_list(spec.get(key)):
            if not any(matches(want, m) for m in got):
                failures.append("no %s %s; Kestrel reported %s" % (kind, json.dumps(want), json.dumps(got)[:1500]))
    for ok_name in as_list(spec.get("validate_ok")):
        named = [r for r in results if os.path.basename(r.get("name", "")) == ok_name]
        if not named or not all(r.get("successful") for r in named):
            failures.append("%s is not successful" % ok_name)
    if not spec.get("validate_errors") and not all(r.get("successful") for r in results):
        failures.append("a file failed though the case expects no error")
    if text_status != status:
        failures.append("text mode exits %d, JSON mode %d" % (text_status, status))
    for r in results:
        verdict = "%s: %s" % (r.get("name"), "Ok" if r.get("successful") else "Invalid")
        if verdict not in text_out:
            failures.append("text mode does not say %r" % verdict)
    return failures
