"""Entry point of the Bazel `py_test` targets: runs pytest on the given files.

`bazel test //tests:test_replay` runs `pytest tests/test_replay.py` through this
file, so a Bazel test passes only when its pytest tests do (a test file run as a
plain script would define its tests and exit 0).
"""

import sys

import pytest

if __name__ == '__main__':
  sys.exit(pytest.main(['-p', 'no:cacheprovider'] + sys.argv[1:]))
