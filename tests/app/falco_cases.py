"""Falco's regression definitions, read as Falco's runner reads them.

falco_tests.yaml / falco_tests_exceptions.yaml (../shared/falco-regression,
from falcosecurity/falco's test/) are avocado "!mux" trees:
trace_files: {CASE: {key: value, ...}, ...}. The !mux tag only marks a
mapping for avocado; here it loads as a plain mapping.
"""

import os
import re
import subprocess

import yaml


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!mux", lambda loader, node: loader.construct_mapping(node, deep=True))


def load_cases(regression_dir, file_name):
    """{case name: definition} of one definitions file, in file order."""
    with open(os.path.join(regression_dir, file_name)) as f:
        tree = yaml.load(f, Loader=_Loader)
    return dict(tree["trace_files"])


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def run(cmd, timeout=120):
    """(exit status, stdout, stderr) of a whole process."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=True)
    return p.returncode, p.stdout, p.stderr


def check_streams(case, status, out, err):
    """Falco's runner checks: exit_status (default 0) and
    std{out,err}_{contains,not_contains}, each a regular expression looked
    for anywhere in the stream (re.search, as Falco's falco_test.py).
    Returns the list of failures, empty when the case passes."""
    failures = []
    want_status = case.get("exit_status", 0)
    if status != want_status:
        failures.append("exit status %d, expected %d" % (status, want_status))
    for stream_name, text in (("stdout", out), ("stderr", err)):
        for pattern in as_list(case.get(stream_name + "_contains")):
            if not re.search(pattern, text):
                failures.append("%s does not contain %r" % (stream_name, pattern))
        for pattern in as_list(case.get(stream_name + "_not_contains")):
            if re.search(pattern, text):
                failures.append("%s contains %r" % (stream_name, pattern))
    return failures
