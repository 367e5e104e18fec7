"""Crash safety with the two-way jobs too: `syncmonitor sync --once` killed with SIGKILL at
random points, again and again, then left to finish, ends with exactly the cache and the remotes'
data of a run that was never interrupted (tests/integration/crash_rounds.py says how).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crash_rounds import kill_again_and_again
from test_cli import MakeSandbox

pytestmark = pytest.mark.slow


@pytest.mark.timeout(900)  # its reference sync alone may take 600 s on a loaded machine
def test_sigkill_at_random_points_never_loses_or_doubles_anything_with_two_way_jobs(
    tmp_path: Path, make_sandbox: MakeSandbox
) -> None:
    kill_again_and_again(tmp_path, make_sandbox, two_way=True)
