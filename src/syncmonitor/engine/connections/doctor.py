"""The connection doctor: for each enabled feature, one cheap read-only request per resource it
needs, each answered in one of a few verdicts with what to do (`syncmonitor doctor`, Settings >
Test connections, and before the first sync).

The verdict is the engine's own reading of the connectors' typed errors and status codes:

- 401, or a refused key: the credentials are wrong, expired or revoked;
- 403 on one resource while the remote takes the credentials: a missing permission (Outreach:
  the `<resource>.read` scope, `errors[].id` "unauthorizedOauthScope"; Workbooks: the API key
  user's permissions; Salesforce: the profile);
- 404: not found (the feature is off for the account, or the address is wrong);
- no answer: unreachable; an untrusted HTTPS certificate: certificate problem;
- Spotler's OAuth 1.0a refusing the request's timestamp: clock off (Mail+ refuses timestamps a
  few minutes from its own clock; the sandbox says five, which is our inference for Mail+);
- 429 or a spent budget: rate limited.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.connectors.errors import (
    OUTREACH,
    SPOTLER,
    WORKBOOKS,
    AuthenticationError,
    ConnectorError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.engine.connections.probes import Probe, ServiceProbes, plan

# A check should answer in seconds: one attempt, no long waits for a rate limit.
DOCTOR_POLICY = RetryPolicy(max_attempts=1, max_wait_for_rate_limit=5.0)


class Verdict(enum.StrEnum):
    OK = "ok"
    CREDENTIALS = "credentials refused"
    PERMISSION = "missing permission"
    NOT_FOUND = "not found"
    UNREACHABLE = "unreachable"
    CERTIFICATE = "certificate problem"
    CLOCK = "clock off"
    RATE_LIMITED = "rate limited"
    REMOTE_ERROR = "remote error"

    @property
    def label(self) -> str:
        return self.value.capitalize() if self is not Verdict.OK else "OK"


@dataclass(frozen=True)
class Finding:
    """What one probe found, in words a person acts on."""

    service: str
    feature: str
    resource: str
    verdict: Verdict
    detail: str = ""  # the remote's own words, or what the connector saw
    todo: str = ""  # what to do about it

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    def line(self) -> str:
        """One line for the command line."""
        head = f"{self.service:<10} {self.resource:<26} {self.verdict.label}"
        if self.ok:
            return head
        return f"{head}: {self.detail} {self.todo}".rstrip()

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "feature": self.feature,
            "resource": self.resource,
            "verdict": self.verdict.value,
            "ok": self.ok,
            "detail": self.detail,
            "todo": self.todo,
        }


@dataclass(frozen=True)
class Diagnosis:
    """Every finding, in the order the probes are listed."""

    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]


def _where(service: str) -> str:
    return {
        OUTREACH: "Settings > Connections > Outreach",
        WORKBOOKS: "Settings > Connections > Workbooks",
        SPOTLER: "Settings > Connections > Spotler",
    }.get(service, f"Settings > Connections > {service}")


def classify(probe: Probe, exc: ConnectorError) -> Finding:
    """The verdict and what to do for a probe that failed with `exc`."""
    svc, said = probe.service, exc.message
    verdict, todo = Verdict.REMOTE_ERROR, "Try again later; if it persists, report it."
    if isinstance(exc, PermissionDeniedError):  # accepted credentials, a missing permission
        verdict = Verdict.PERMISSION
        todo = _permission_todo(probe, exc.scope)
    elif isinstance(exc, AuthenticationError):
        if svc == SPOTLER and "timestamp" in said.lower():
            verdict = Verdict.CLOCK
            todo = (
                "Spotler refuses signed requests whose time is minutes off its own clock: set "
                "this computer's clock to the right time (turn on automatic time), then test again."
            )
        elif exc.status_code == 403:
            verdict = Verdict.PERMISSION
            todo = _permission_todo(probe)
        else:
            verdict = Verdict.CREDENTIALS
            todo = f"Enter new credentials in {_where(svc)}, then test again."
    elif isinstance(exc, NotFoundError):
        verdict = Verdict.NOT_FOUND
        todo = (
            f"Check the {svc} address in {_where(svc)}; if it is right, this part of {svc} is "
            f"not available for your account (ask its administrator), and {probe.feature} "
            "cannot use it."
        )
    elif isinstance(exc, NetworkError):
        if "certificate" in exc.title.lower():
            verdict = Verdict.CERTIFICATE
            todo = (
                f"Check the {svc} address. If your network inspects HTTPS with its own "
                "certificate authority, ask IT to add it to this computer's trusted certificates."
            )
        else:
            verdict = Verdict.UNREACHABLE
            todo = (
                f"Check the internet connection, proxy or VPN, and the {svc} address in "
                f"{_where(svc)}."
            )
    elif isinstance(exc, QuotaExceededError):
        verdict = Verdict.RATE_LIMITED
        todo = (
            f"{svc}'s daily API allowance is spent (it refills over the day): the next "
            "scheduled sync tries again; test again later."
        )
    elif isinstance(exc, RateLimitedError):
        verdict = Verdict.RATE_LIMITED
        todo = (
            f"{svc} asks for fewer requests just now: wait a few minutes, or stop other tools that "
            "use the same account, then test again."
        )
    elif isinstance(exc, ServiceUnavailableError):
        todo = f"{svc} says it is temporarily unavailable ({said}): test again in a few minutes."
    elif isinstance(exc, ServerError | MalformedResponseError):
        todo = f"{svc} may be having trouble: check its status page and test again later."
    return Finding(svc, probe.feature, probe.resource, verdict, f"{exc.title}: {said}", todo)


def _permission_todo(probe: Probe, named: str | None = None) -> str:
    if probe.service == OUTREACH:
        scope = f"the {named} scope" if named else probe.permission
        return (
            f"The Outreach token lacks {scope}. Sign in again in Settings and grant "
            f"it (or have the Outreach app's owner add the scope), then test again. Until then "
            f"the parts of the sync that read {probe.resource} fail; the others run."
        )
    if probe.service == WORKBOOKS:
        return (
            f"The Workbooks API key's user lacks {probe.permission.split(' for ')[0]}: in "
            "Workbooks, give that user (or its group) the permission under Configuration > "
            "Users and Permissions, or use a key of a user who has it."
        )
    return f"The account needs {probe.permission}: grant it, then test again."


async def _run_service(group: ServiceProbes) -> list[Finding]:
    findings: list[Finding] = []
    try:
        async with group.open_client() as client:
            for probe in group.probes:
                try:
                    await probe.ask(client)
                except ConnectorError as exc:
                    finding = classify(probe, exc)
                    findings.append(finding)
                    if finding.verdict in _WHOLE_REMOTE:  # the rest would say the same
                        findings += [_same(p, finding) for p in _after(group, probe)]
                        break
                else:
                    findings.append(_same(probe, None))
    except ConnectorError as exc:  # opening the client (an OAuth renewal) failed
        first = classify(group.probes[0], exc)
        done = {f.resource for f in findings}
        findings += [_same(p, first) for p in group.probes if p.resource not in done]
    return findings


_WHOLE_REMOTE = frozenset(
    {Verdict.CREDENTIALS, Verdict.UNREACHABLE, Verdict.CERTIFICATE, Verdict.CLOCK}
)


def _after(group: ServiceProbes, probe: Probe) -> list[Probe]:
    index = group.probes.index(probe)
    return list(group.probes[index + 1 :])


def _same(probe: Probe, like: Finding | None) -> Finding:
    """The finding for `probe`: OK (None), or the same as another probe's."""
    if like is None:
        return Finding(probe.service, probe.feature, probe.resource, Verdict.OK)
    return Finding(
        probe.service, probe.feature, probe.resource, like.verdict, like.detail, like.todo
    )


async def diagnose(
    config: Config,
    remotes: Any,
    salesmate: SalesmateAccess | None = None,
    *,
    policy: RetryPolicy = DOCTOR_POLICY,
) -> Diagnosis:
    """Check every resource the enabled features need; the remotes are asked side by side."""
    groups = plan(config, remotes, salesmate, policy=policy)
    results = await asyncio.gather(*(_run_service(g) for g in groups))
    return Diagnosis(tuple(f for found in results for f in found))
