#!/usr/bin/env python3
"""Falco's monitor_syscall_drops_* cases, whole-process.

Reads the cases from falco_tests.yaml at run time (nothing here restates
their expectations) and runs kestrel as Falco's runner runs falco:
  kestrel -c CONF -r RULES... -e TRACE
where CONF is Kestrel's own file of the same name in
tests/falco_corpus/confs/ (Falco's test/confs/drops_*.yaml is not in
../shared, and its log_stderr key is not Kestrel's). Each case's exit
status, stdout and stderr expectations must hold.

usage: syscall_drops_cli_test.py KESTREL REGRESSION_DIR CONFS_DIR
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import falco_cases  # noqa: E402

PREFIX = "monitor_syscall_drops_"


def main():
    kestrel, regression, confs = sys.argv[1:4]
    cases = {n: c for n, c in falco_cases.load_cases(regression, "falco_tests.yaml").items() if n.startswith(PREFIX)}
    # Falco's file has eight: none, ignore, ignore_and_log, threshold_oor,
    # threshold_neg, log, alert, exit. Fewer means the file changed under us.
    if len(cases) < 8:
        print("FAIL: only %d %s* cases in falco_tests.yaml" % (len(cases), PREFIX))
        return 1
    failed = 0
    for name, case in cases.items():
        conf = os.path.join(confs, os.path.basename(case["conf_file"]))
        if not os.path.isfile(conf):
            print("FAIL %s: no Kestrel conf %s" % (name, conf))
            failed += 1
            continue
        cmd = [kestrel, "-c", conf]
        for rules in falco_cases.as_list(case.get("rules_file")):
            cmd += ["-r", os.path.join(regression, rules)]
        cmd += ["-e", os.path.join(regression, case["trace_file"])]
        status, out, err = falco_cases.run(cmd)
        failures = falco_cases.check_streams(case, status, out, err)
        if failures:
            failed += 1
            print("FAIL %s: %s\n  command: %s\n  stdout:\n%s\n  stderr:\n%s"
                  % (name, "; ".join(failures), " ".join(cmd), out, err))
        else:
            print("pass %s" % name)
    print("%d of %d monitor_syscall_drops cases pass" % (len(cases) - failed, len(cases)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
