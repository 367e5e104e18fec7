"""Hypothesis settings for the hostile-input suite.

CI runs derandomized (the same examples every run, so a red build is reproducible from its log);
locally `HYPOTHESIS_PROFILE=deep` searches harder. No deadline: these machines are shared and
a slow example is not a bug here (speed is measured in bench/).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
settings.register_profile(
    "deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
