#!/usr/bin/env python3
"""Falco's regression corpus, run against the whole kestrel binary.

Reads falco_tests.yaml and falco_tests_exceptions.yaml from
../shared/falco-regression (falcosecurity/falco's test/ directory) and runs
every case whose trace is in trace_files/ (and the two validate-only cases
that name no trace) the way Falco's harness (test/falco_test.py) ran Falco:
one kestrel process per case, then the same checks on its exit status,
stdout and stderr. Prints one line per case and "passed N of M"; exits 1
when any case fails.

Usage: falco_corpus_test.py KESTREL REGRESSION_DIR UPSTREAM_RULES_DIR WORK_DIR

How the harness's keys are read (Falco's meaning, Kestrel's spelling):
- The command is Falco's: -r for each rules_file (default: Falco's own
  falco_rules.yaml, from ../shared/upstream-rules), -D for each
  disabled_rules, -T/-t for disable_tags/run_tags, -c conf_file, -e trace,
  -o json_output/json_include_output_property/json_include_tags_property/
  priority (default priority debug, as the harness), -A for all_events,
  -o time_format_iso_8601=true for time_iso_8601, -M run_duration.
  conf_file names one of OUR files in confs/ next to this script: Falco's
  test/confs/ is not in ../shared, and Falco's files carry falco.yaml keys
  Kestrel refuses (it refuses unknown keys rather than ignore them), so
  each of ours sets only the keys the case is about (its comment says
  which Falco file it stands for). Without conf_file Kestrel runs on its
  embedded default configuration, as Falco ran on its falco.yaml.
- validate_rules_file: `kestrel -o json_output=true -V F -V F...`, checked
  as Falco's test tools check `falco -V` (falco_validation.py): Falco's
  {"falco_load_results": [...]} with one result per file, every
  validate_errors / validate_warnings entry among them, validate_ok files
  successful; the text mode gives the same exit status. The corpus's
  LOAD_UNKNOWN_FIELD is today's LOAD_UNKNOWN_FILTER.
- exit_status (default 0) must match; when it is not 0 nothing else is
  checked but stdout/stderr(_not)_contains (as Falco's harness).
- detect / detect_level / detect_counts are read from Kestrel's own exit
  summary on stderr ("Alerts: N", "Alerts by priority:", "Alerts by
  rule:"): Falco's harness read Falco's on stdout ("Events detected: N",
  "Rule counts by severity:", "Triggered rules by rule name:"); no other
  consumer reads that text, so Kestrel keeps its wording and its stream
  (stdout stays alerts only) and this runner maps it. A detect_level matches
  a priority by Falco's names, case-insensitively, INFO being
  Informational. A detect_counts entry of 0 means the rule is absent.
- rules_warning: the set of rule names Kestrel reports load warnings for,
  in Falco's words on stderr ("Rule NAME: warning (CODE): message"), must
  equal the expected set (empty when the key is absent), as the harness
  checked on every run that exits 0.
- stdout_contains, stderr_contains (and _not_): Python regular expressions
  searched in the whole stream, as the harness did.
- json_output: every stdout line starting with '{' is a JSON object with
  time, rule, priority and (unless json_include_output_property is false)
  output.
- output_strictly_contains {stdout|PATH: output_files/X}: every line of X
  must be one of the lines Kestrel wrote. JSON lines are compared as JSON
  objects, not bytes: Falco's expected file spells one object with a space
  before "output_fields" and a key order of its own, and neither order nor
  spacing is meaning in JSON. The hostname Falco's harness set through
  FALCO_HOSTNAME (test-falco-hostname) is set the same way here.
- grpc (case grpc_unix_socket_outputs): excluded, because Falco has removed
  the feature: its harness called outputs.service/get on a Falco started with
  the grpc and grpc_output keys, and the current falco.yaml
  (../shared/reference/falco-config/falco.yaml) has neither. The runner
  checks that at run time: the exclusion lapses (and the case fails as not
  run) if the reference falco.yaml names grpc again. Kestrel's own gRPC
  server (Falco's outputs.proto) is tested in tests/daemon.
- rules_warning (case `syscalls`): not checked, because Falco has removed
  what it checked: the "Rule NAME: warning (CODE):" lines came from Falco's
  Lua rule loader, replaced by the C++ loader (Falco 0.31), whose warnings
  are load results (checked here through validate_warnings) and which does
  not warn about madvise; falcosecurity/testing's port of this case
  (TestFalco_Legacy_Syscalls) checks its detections only, as this runner
  does. The PASS line says so.

Exclusions: a case is excluded only with a reason written in EXCLUDED
below, and never because Kestrel answers differently from Falco.
"""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import falco_validation  # noqa: E402

# Cases not run, each with why: here, a trace that is not part of the corpus
# we have (the gRPC case is excluded at run time: falco_still_has_grpc).
EXCLUDED = {
    "detect_counts": "its trace traces-positive/falco-event-generator.scap is not in trace_files/ "
                     "(nor anywhere in ../shared): not a trace_files case",
}

# Checks not made, each with why; the case runs and its other checks count.
UNCHECKED = {
    "rules_warning": "rules_warning not checked: Falco's Lua rule loader printed those lines; its C++ loader "
                     "(Falco 0.31+) does not, and falcosecurity/testing's TestFalco_Legacy_Syscalls checks "
                     "the detections only",
}

HERE = os.path.dirname(os.path.abspath(__file__))
FALCO_HOSTNAME = "test-falco-hostname"

# Falco's priority names (and the short forms its tests use) -> Kestrel's.
PRIORITY_NAMES = {
    "emergency": "emergency", "alert": "alert", "critical": "critical", "error": "error",
    "warning": "warning", "notice": "notice", "informational": "informational", "info": "informational",
    "debug": "debug",
}


class MuxLoader(yaml.SafeLoader):
    """The corpus marks its top mapping with avocado's !mux tag."""


MuxLoader.add_constructor("!mux", lambda loader, node: loader.construct_mapping(node, deep=True))


def as_list(value):
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def load_cases(regression):
    cases = []
    for name in ("falco_tests.yaml", "falco_tests_exceptions.yaml"):
        with open(os.path.join(regression, name)) as f:
            doc = yaml.load(f, Loader=MuxLoader)
        for case, spec in doc["trace_files"].items():
            cases.append((case, spec))
    return cases


def in_scope(spec):
    trace = spec.get("trace_file")
    if trace is None:
        return "validate_rules_file" in spec  # validate-only cases: no trace to need
    return trace.startswith("trace_files/") and trace.endswith(".scap")


class Failure(Exception):
    pass


class Result:
    def __init__(self, cmd, proc, seconds):
        self.cmd = cmd
        self.status = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.seconds = seconds


def run(cmd, cwd, env=None, timeout=120):
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace",
                          timeout=timeout)
    return Result(cmd, proc, time.monotonic() - start)


# --- what Kestrel prints -------------------------------------------------

ISO_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000: ", re.M)


def log_text(stderr):
    """stderr without the time time_format_iso_8601 puts before each line."""
    return ISO_LOG_PREFIX.sub("", stderr)


def summary_block(stdout, title):
    """The "   name: count" lines under `title` in Kestrel's exit summary."""
    counts = {}
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if line == title:
            for entry in lines[i + 1:]:
                if not entry.startswith("   "):
                    break
                name, _, count = entry[3:].rpartition(": ")
                counts[name] = int(count)
            break
    return counts


def alert_total(stdout):
    m = re.search(r"^Alerts: (\d+)$", stdout, re.M)
    if m is None:
        raise Failure("no 'Alerts: N' line in Kestrel's summary")
    return int(m.group(1))


# --- checks ----------------------------------------------------------------

def check_streams(spec, res):
    for pattern in as_list(spec.get("stdout_contains")):
        if re.search(pattern, res.stdout) is None:
            raise Failure(f"stdout does not match {pattern!r}")
    for pattern in as_list(spec.get("stderr_contains")):
        if re.search(pattern, res.stderr) is None:
            raise Failure(f"stderr does not match {pattern!r}")
    for pattern in as_list(spec.get("stdout_not_contains")):
        if re.search(pattern, res.stdout) is not None:
            raise Failure(f"stdout matches {pattern!r}, must not")
    for pattern in as_list(spec.get("stderr_not_contains")):
        if re.search(pattern, res.stderr) is not None:
            raise Failure(f"stderr matches {pattern!r}, must not")


def check_exit(spec, res):
    want = spec.get("exit_status", 0)
    if res.status != want:
        tail = (res.stderr.strip().splitlines() or [""])[-1]
        raise Failure(f"exit status {res.status}, expected {want} (stderr: {tail!r})")


def check_validation(spec, regression, kestrel):
    files = as_list(spec["validate_rules_file"])
    cmd = [kestrel, "-o", "json_output=true"]
    for f in files:
        cmd += ["-V", f]
    res = run(cmd, regression)
    check_streams(spec, res)
    check_exit(spec, res)
    text = run([c for c in cmd if c not in ("-o", "json_output=true")], regression)
    failures = falco_validation.validation_failures(spec, files, res.status, res.stdout, text.status, text.stdout,
                                                    as_list)
    if failures:
        raise Failure("; ".join(failures))
    return res


def trace_command(spec, regression, upstream_rules, kestrel):
    cmd = [kestrel]
    for f in as_list(spec.get("rules_file")) or [os.path.join(upstream_rules, "falco_rules.yaml")]:
        cmd += ["-r", f]
    for rule in as_list(spec.get("disabled_rules")):
        cmd += ["-D", rule]
    if "conf_file" in spec:
        cmd += ["-c", os.path.join(HERE, spec["conf_file"])]
    cmd += ["-e", spec["trace_file"]]
    cmd += ["-o", "json_output=" + str(bool(spec.get("json_output", False))).lower()]
    cmd += ["-o", "json_include_output_property=" +
            str(bool(spec.get("json_include_output_property", True))).lower()]
    cmd += ["-o", "json_include_tags_property=" + str(bool(spec.get("json_include_tags_property", True))).lower()]
    cmd += ["-o", "priority=" + PRIORITY_NAMES[str(spec.get("priority", "debug")).lower()]]
    for tag in as_list(spec.get("disable_tags")):
        cmd += ["-T", tag]
    for tag in as_list(spec.get("run_tags")):
        cmd += ["-t", tag]
    if spec.get("run_duration"):
        cmd += ["-M", str(spec["run_duration"])]
    if spec.get("all_events"):
        cmd.append("-A")
    if spec.get("time_iso_8601"):
        cmd += ["-o", "time_format_iso_8601=true"]
    return cmd


def check_detections(spec, res):
    total = alert_total(log_text(res.stderr))
    if not spec.get("detect", False):
        if total > 0:
            raise Failure(f"{total} alerts, expected none")
        return
    if total == 0:
        raise Failure("no alert, expected some")
    by_priority = {PRIORITY_NAMES.get(k.lower(), k.lower()): v
                   for k, v in summary_block(log_text(res.stderr), "Alerts by priority:").items()}
    for level in as_list(spec.get("detect_level")):
        name = PRIORITY_NAMES[level.lower()]
        if by_priority.get(name, 0) == 0:
            raise Failure(f"no alert at priority {level} (by priority: {by_priority})")


def check_detect_counts(spec, res):
    want = {}
    for item in as_list(spec.get("detect_counts")):
        want.update(item)
    if not want:
        return
    by_rule = summary_block(log_text(res.stderr), "Alerts by rule:")
    wrong = {rule: (count, by_rule.get(rule, 0)) for rule, count in want.items() if by_rule.get(rule, 0) != count}
    if wrong:
        raise Failure("rule counts (expected, got): " + ", ".join(f"{r}: {w}" for r, w in sorted(wrong.items())))


def check_json_output(spec, res):
    if not spec.get("json_output"):
        return
    attrs = ["time", "rule", "priority"]
    if spec.get("json_include_output_property", True):
        attrs.append("output")
    for line in res.stdout.splitlines():
        if line.startswith("{"):
            obj = json.loads(line)
            missing = [a for a in attrs if a not in obj]
            if missing:
                raise Failure(f"JSON alert without {missing}: {line}")


def same_line(expected, actual_lines, actual_json):
    if expected.startswith("{"):
        return json.loads(expected) in actual_json
    return expected in actual_lines


def check_strict_outputs(spec, res, regression):
    for item in as_list(spec.get("output_strictly_contains")):
        for where, expected_file in item.items():
            if where == "stdout":
                text = res.stdout
            else:
                if not os.path.exists(where):
                    raise Failure(f"{where} was not written")
                with open(where) as f:
                    text = f.read()
            lines = text.splitlines()
            parsed = []
            for line in lines:
                if line.startswith("{"):
                    try:
                        parsed.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
            with open(os.path.join(regression, expected_file)) as f:
                for expected in f.read().splitlines():
                    if expected and not same_line(expected, lines, parsed):
                        raise Failure(f"{where}: missing line {expected!r}")


def run_trace_case(spec, regression, upstream_rules, kestrel, env):
    for item in as_list(spec.get("output_strictly_contains")):
        for where in item:
            if where != "stdout":
                os.makedirs(os.path.dirname(where), exist_ok=True)
                if os.path.exists(where):
                    os.remove(where)
    cmd = trace_command(spec, regression, upstream_rules, kestrel)
    grpc_spec = spec.get("grpc")
    if grpc_spec:
        return run_grpc_case(spec, cmd, regression, env)
    res = run(cmd, regression, env)
    check_streams(spec, res)
    check_exit(spec, res)
    if res.status != 0:
        return res
    check_detections(spec, res)
    check_detect_counts(spec, res)
    check_json_output(spec, res)
    check_strict_outputs(spec, res, regression)
    return res


def falco_still_has_grpc(regression):
    """Whether Falco's current falco.yaml (the published reference) has the
    grpc keys the grpc case's conf set; None when the reference is missing."""
    ref = os.path.join(os.path.dirname(regression), "reference", "falco-config", "falco.yaml")
    if not os.path.exists(ref):
        return None
    with open(ref) as f:
        keys = yaml.safe_load(f) or {}
    return "grpc" in keys or "grpc_output" in keys


def run_grpc_case(spec, cmd, regression, env):
    raise Failure("not run: Falco's reference falco.yaml has grpc keys again (or is missing), so the "
                  "exclusion of this case no longer holds; it needs a get client against a replay")


def run_case(name, spec, args, env):
    kestrel, regression, upstream_rules, work = args
    if "validate_rules_file" in spec:
        return check_validation(spec, regression, kestrel)
    return run_trace_case(spec, regression, upstream_rules, kestrel, env)


def main(argv):
    if len(argv) != 5:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    kestrel, regression, upstream_rules, work = (os.path.abspath(a) for a in argv[1:])
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, FALCO_HOSTNAME=FALCO_HOSTNAME)
    cases = load_cases(regression)
    scoped = [(n, s) for n, s in cases if in_scope(s) or n in EXCLUDED]
    out_of_scope = [n for n, s in cases if (n, s) not in scoped]
    if out_of_scope:
        print(f"FAIL: cases neither run nor excluded with a reason: {out_of_scope}")
        return 1

    def one(item):
        name, spec = item
        if name in EXCLUDED:
            return name, "EXCLUDED", EXCLUDED[name], 0.0
        if spec.get("grpc") and falco_still_has_grpc(regression) is False:
            return name, "EXCLUDED", ("Falco has removed its gRPC server: the current falco.yaml "
                                      "(reference/falco-config) has no grpc or grpc_output key"), 0.0
        start = time.monotonic()
        try:
            run_case(name, spec, (kestrel, regression, upstream_rules, work), env)
            notes = "; ".join(why for key, why in UNCHECKED.items() if key in spec)
            return name, "PASS", notes, time.monotonic() - start
        except Failure as e:
            return name, "FAIL", str(e), time.monotonic() - start
        except Exception as e:  # a crash of the runner is this case's failure, with its cause
            return name, "FAIL", f"{type(e).__name__}: {e}", time.monotonic() - start

    # Cases writing the same output file must not run at the same time.
    serial = [c for c in scoped if c[1].get("output_strictly_contains") or c[1].get("grpc")]
    parallel = [c for c in scoped if c not in serial]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, parallel))
    results += [one(c) for c in serial]
    order = {n: i for i, (n, _) in enumerate(scoped)}
    results.sort(key=lambda r: order[r[0]])

    passed = failed = excluded = 0
    for name, verdict, reason, seconds in results:
        line = f"{verdict:8} {name}"
        if reason:
            line += f": {reason}"
        print(line)
        passed += verdict == "PASS"
        failed += verdict == "FAIL"
        excluded += verdict == "EXCLUDED"
    run_count = passed + failed
    print(f"passed {passed} of {run_count} ({excluded} excluded, {failed} failed; {len(cases)} cases in the corpus)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
