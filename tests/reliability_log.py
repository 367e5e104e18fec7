"""Facts the reliability tests record for the report (bench/reliability_report.py).

When `SYNCMONITOR_RELIABILITY_LOG` names a file, `record()` appends one JSON line to it; otherwise
it does nothing, so the tests behave the same inside and outside the report.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV = "SYNCMONITOR_RELIABILITY_LOG"


def record(section: str, subject: str, **facts: Any) -> None:
    """Note one result: `section` (fault matrix, crash safety, hostile input, secrets), what was
    tried (`subject`) and its numbers (runs survived, records compared, secrets found...)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps({"section": section, "subject": subject, **facts}, sort_keys=True)
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
