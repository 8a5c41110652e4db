"""Read the log of a run of Odoo's own test runner (``odoo --test-tags ...``).

    odoo_test_log.py summary LOG         "RAN FAILED ERRORS" from the run's last line
    odoo_test_log.py started LOG ADDON   how many tests of ADDON started
    odoo_test_log.py failures LOG        one --test-tags spec per failing test
    odoo_test_log.py blame LOG BASE_LOG  the failures of LOG that BASE_LOG lacks

A spec names the test's file, so that a re-run picks exactly that test:
``/account/tests/test_account_move_out_invoice.py:TestAccountMoveOutInvoiceOnchanges
.test_invoice_with_empty_currency``; a class whose set-up failed is named
without a method. ``summary`` exits with 2 when the log has no summary line
(Odoo did not get as far as running the tests).
"""

import re
import sys

# odoo/service/server.py, after the run:
# "0 failed, 1 error(s) of 225 tests when loading database 'crtest_1'"
SUMMARY = re.compile(
    r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database"
)
# odoo/tests/result.py logs each failure under the test's Python module:
# "... ERROR db odoo.addons.account.tests.test_x: FAIL: TestClass.test_method"
# "... ERROR db odoo.addons.account.tests.test_x: ERROR: Subtest TestClass.test_y (a=1)"
TEST_FAILURE = re.compile(
    r" ERROR \S+ odoo\.addons\.(?P<pymod>[\w.]+): (?:FAIL|ERROR): "
    r"(?:Subtest )?(?P<cls>[\w.]+)\.(?P<method>test\w*)"
)
# A class or module fixture fails outside any test:
# "... ERROR db odoo.tests.suite: ERROR: setUpClass (odoo.addons.sms.tests.test_y.TZ)"
CLASS_FAILURE = re.compile(
    r" ERROR \S+ \S+: ERROR: (?:setUpClass|tearDownClass|doClassCleanups) "
    r"\(odoo\.addons\.(?P<pymod>[\w.]+)\.(?P<cls>\w+)\)"
)
MODULE_FAILURE = re.compile(
    r" ERROR \S+ \S+: ERROR: (?:setUpModule|tearDownModule) "
    r"\(odoo\.addons\.(?P<pymod>[\w.]+)\)"
)
STARTED = re.compile(r" odoo\.addons\.(?P<addon>\w+)\.tests\.[\w.]+: Starting ")


def _lines(path):
    with open(path, encoding="utf-8", errors="replace") as log:
        yield from log


def _file_spec(pymod):
    return "/" + pymod.replace(".", "/") + ".py"


def summary(path):
    found = None
    for line in _lines(path):
        match = SUMMARY.search(line)
        if match:
            found = match
    if not found:
        return None
    failed, errors, ran = (int(group) for group in found.groups())
    return ran, failed, errors


def started(path, addon):
    return sum(
        1
        for line in _lines(path)
        if (match := STARTED.search(line)) and match["addon"] == addon
    )


def failures(path):
    specs = []
    for line in _lines(path):
        if match := TEST_FAILURE.search(line):
            spec = f"{_file_spec(match['pymod'])}:{match['cls']}.{match['method']}"
        elif match := CLASS_FAILURE.search(line):
            spec = f"{_file_spec(match['pymod'])}:{match['cls']}"
        elif match := MODULE_FAILURE.search(line):
            spec = _file_spec(match["pymod"])
        else:
            continue
        if spec not in specs:
            specs.append(spec)
    return specs


def _covers(spec, other):
    """Whether two specs name the same test, or one holds the other: a file
    holds its classes (``file.py:Class``), a class its methods (``.method``).
    """
    short, long_ = sorted((spec, other), key=len)
    separator = "." if ":" in short else ":"
    return long_ == short or long_.startswith(short + separator)


def blame(path, base_path):
    base = failures(base_path)
    return [spec for spec in failures(path) if not any(_covers(spec, b) for b in base)]


def main(argv):
    command, *args = argv
    if command == "summary":
        result = summary(args[0])
        if result is None:
            return 2
        print(*result)
    elif command == "started":
        print(started(args[0], args[1]))
    elif command in ("failures", "blame"):
        for spec in failures(args[0]) if command == "failures" else blame(*args[:2]):
            print(spec)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
