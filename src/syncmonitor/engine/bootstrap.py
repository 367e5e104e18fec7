"""Starting the app's services: the cache, the remotes or the built-in sandbox, and the facade.

Shared by the GUI and the CLI so both run exactly the same way. In sandbox mode the sandbox runs in
its own process with fresh random credentials, handed over through the child's environment (never
its command line, which any user on the machine can read).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.config import CacheSettings, Config
from syncmonitor.app.credentials import Secret, get_secret, require_secret
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths
from syncmonitor.connectors.http.client import warm_up
from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.engine.outreach_sign_in import outreach_oauth
from syncmonitor.engine.runs.first_sync import WriteGate
from syncmonitor.engine.runs.lock import sync_in_progress
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.sandbox_controls import SandboxControls, forget_address, write_address
from syncmonitor.engine.services.imports import ImportsService
from syncmonitor.engine.services.issues import IssuesService
from syncmonitor.engine.services.mappings import MappingsService
from syncmonitor.engine.services.people import PeopleService
from syncmonitor.engine.services.queue import QueueService
from syncmonitor.engine.services.runs import RunsService
from syncmonitor.engine.services.two_way import TwoWayService
from syncmonitor.engine.team.desktop import TeamDesktopService
from syncmonitor.engine.team.lock import lock_for
from syncmonitor.sandbox.process import (
    ENV_OUTREACH_TOKEN,
    ENV_SALESFORCE_TOKEN,
    ENV_SALESMATE_TOKEN,
    ENV_SPOTLER_CONSUMER_KEY,
    ENV_SPOTLER_CONSUMER_SECRET,
    ENV_WORKBOOKS_API_KEY,
    SandboxEndpoints,
    SandboxProcess,
)
from syncmonitor.store.cache_faults import explain, read_only
from syncmonitor.store.database import Database
from syncmonitor.store.database import open_cache as open_store
from syncmonitor.store.runs import close_interrupted_runs

log = logging.getLogger(__name__)


@dataclass
class CacheServices:
    """The services that need only the cache (what `syncmonitor runs`, `status`, `people` and
    `mappings` use, with no remote and no sandbox); `close()` closes the cache.

    `sync` is the running SyncService when there is one: the services that ask the remotes
    (hazard actions, scope count, mapping refresh, the queue) take its remotes and settings.
    """

    database: Database
    sync: Any = None
    salesmate: SalesmateAccess | None = None
    settings_dir: Path | None = None  # where the People views are kept (None: in memory)
    runs: RunsService = field(init=False)
    people: PeopleService = field(init=False)
    issues: IssuesService = field(init=False)
    two_way: TwoWayService = field(init=False)
    mappings: MappingsService = field(init=False)
    queue: QueueService = field(init=False)
    imports: ImportsService = field(init=False)

    def __post_init__(self) -> None:
        db, sync = self.database, self.sync
        self.runs = RunsService(db, sync)
        self.people = PeopleService(db, self.settings_dir)
        self.issues = IssuesService(db, sync)
        self.two_way = TwoWayService(db, sync)
        self.mappings = MappingsService(db, sync)
        self.queue = QueueService(db, sync)
        self.imports = ImportsService(db, self.salesmate)

    def close(self) -> None:
        self.database.close()


def explain_cache_fault(exc: BaseException, cache: AppPaths | Path) -> UserFacingError | None:
    """What a failure to open or use the cache (`cache`: the app's paths or the cache file)
    stands for (damaged, read-only, a full disk), told for people; None when `exc` is no cache
    fault."""
    return explain(exc, cache.database_file if isinstance(cache, AppPaths) else cache)


def open_cache(
    paths: AppPaths,
    cache: CacheSettings | None = None,
    *,
    salesmate: SalesmateAccess | None = None,
) -> CacheServices:
    """Open the cache alone (migrating it if needed) with the services that read and write it:
    the team store when `cache` names one (`[cache] url`), else this computer's SQLite file
    (`salesmate`: Salesmate's API for the import's matching; None: the cache only)."""
    paths.ensure()
    return CacheServices(
        open_store(cache or CacheSettings(), paths.database_file),
        salesmate=salesmate,
        settings_dir=paths.config_dir,
    )


class Services(CacheServices):
    """Everything a running app holds: the sync service, the cache and its services, the sandbox
    in sandbox mode, Salesmate's API for the import's matching (None: the cache only);
    `close()` releases it all."""

    def __init__(
        self,
        service: SyncService,
        database: Database,
        sandbox: SandboxProcess | None = None,
        salesmate: SalesmateAccess | None = None,
        *,
        address_dir: Path | None = None,
        settings_dir: Path | None = None,
    ) -> None:
        super().__init__(database, service, salesmate, settings_dir)
        self.service = service
        self.sandbox = sandbox
        # Where the sandbox's address is noted for `syncmonitor status` (the data folder).
        self.address_dir = address_dir
        self._closed = False

    @property
    def sandbox_controls(self) -> SandboxControls | None:
        """The Sandbox menu's stories, in sandbox mode; None against real remotes (also once
        Settings gave real addresses while the sandbox runs)."""
        if self.sandbox is None or self.sandbox.endpoints is None or not self.service.sandbox_mode:
            return None
        return SandboxControls(self.sandbox.endpoints.admin_url)

    @property
    def engine(self) -> Engine:
        return self.database.engine

    def reconfigure(self, config: Config) -> None:
        """Settings changed: the next run, the next queue read and the next Salesmate import
        use the new addresses, credentials and intervals; a run or read under way finishes on
        the old ones. Reads the keyring: call it off the GUI thread."""
        self.service.reconfigure(config)
        self.queue.reconfigure()
        endpoints = self.sandbox.endpoints if self.sandbox is not None else None
        try:
            self.salesmate = resolve_salesmate(config, endpoints)
        except UserFacingError as exc:  # the token is not saved yet: imports match the cache
            log.warning("Salesmate is not usable yet: %s %s", exc.title, exc.message)
            self.salesmate = None
        self.imports.salesmate = self.salesmate  # the import dialog holds this service

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.sandbox is not None:
            self.sandbox.stop()
            if self.address_dir is not None:
                forget_address(self.address_dir)
        self.database.close()


def resolve_remotes(config: Config) -> Remotes:
    """The configured remotes with their secrets (a missing secret is a clear error)."""
    token = key = None
    auth = outreach_oauth(config)
    if config.outreach.base_url and auth is None:
        token = require_secret(Secret.OUTREACH_TOKEN)
    if config.workbooks.base_url:
        key = require_secret(Secret.WORKBOOKS_API_KEY)
    salesforce = get_secret(Secret.SALESFORCE_TOKEN) if config.salesforce.base_url else None
    spotler_key = spotler_secret = None
    if config.spotler.base_url:
        spotler_key = require_secret(Secret.SPOTLER_CONSUMER_KEY)
        spotler_secret = require_secret(Secret.SPOTLER_CONSUMER_SECRET)
    return Remotes(
        config.outreach.base_url,
        token,
        config.workbooks.base_url,
        key,
        outreach_auth=auth,
        salesforce_base_url=config.salesforce.base_url,
        salesforce_token=salesforce,
        spotler_base_url=config.spotler.base_url,
        spotler_consumer_key=spotler_key,
        spotler_consumer_secret=spotler_secret,
    )


def resolve_salesmate(
    config: Config, endpoints: SandboxEndpoints | None = None
) -> SalesmateAccess | None:
    """Salesmate's API when configured (its token from the keyring or environment); in sandbox
    mode with no [salesmate] address, the sandbox's emulated one; else None."""
    settings = config.salesmate
    if settings.api_url:
        token = require_secret(Secret.SALESMATE_TOKEN)
        return SalesmateAccess(settings.api_url, settings.effective_linkname, token)
    if endpoints is not None and endpoints.salesmate_base_url:
        return SalesmateAccess(
            endpoints.salesmate_base_url + "/apis",
            endpoints.salesmate_linkname,
            endpoints.salesmate_token,
        )
    return None


def start_services(
    config: Config, paths: AppPaths, *, start_sandbox: bool = True, role: str = "desktop"
) -> Services:
    """Open the cache and connect the remotes (starting the sandbox in sandbox mode).

    Blocks for a few seconds in sandbox mode: call it off the GUI thread.
    """
    paths.ensure()
    warm_up()  # the TLS context, built here off the GUI thread rather than during a sync
    database = open_store(config.cache, paths.database_file)
    if database.read_only:  # syncing writes: say so now, not as a failed write mid-run
        database.close()
        raise read_only(paths.database_file, "the folder is read-only")
    try:
        # A team store's interrupted runs are closed by its lock holder (engine/team); a live
        # run elsewhere on this computer is not interrupted either.
        if not database.shared and not sync_in_progress(paths.lock_file):
            with database.engine.begin() as conn:
                interrupted = close_interrupted_runs(conn)
            if interrupted:
                log.warning("%d run(s) were interrupted by a previous exit", interrupted)
        sandbox = None
        watching = database.shared and role == "desktop"
        if watching:
            # A desktop on a team store: the server syncs, with the secrets; this one asks it.
            desktop: SyncService = TeamDesktopService(
                config,
                database,
                Remotes(None, None, None, None),
                lock=lock_for(database, paths.lock_file, role=role),
                sandbox_mode=False,
            )
            return Services(desktop, database)
        if config.sandbox_mode and start_sandbox:
            sandbox = SandboxProcess(
                port=0,
                seed=config.sandbox.seed,
                people=config.sandbox.people,
                states_per_person=config.sandbox.states_per_person,
                tick=config.sandbox.tick_seconds,
                changes_per_tick=config.sandbox.changes_per_tick,
                env={
                    ENV_OUTREACH_TOKEN: secrets.token_urlsafe(24),
                    ENV_WORKBOOKS_API_KEY: secrets.token_urlsafe(24),
                    ENV_SALESFORCE_TOKEN: secrets.token_urlsafe(24),
                    ENV_SALESMATE_TOKEN: secrets.token_urlsafe(24),
                    ENV_SPOTLER_CONSUMER_KEY: secrets.token_urlsafe(16),
                    ENV_SPOTLER_CONSUMER_SECRET: secrets.token_urlsafe(24),
                },
            )
            ep = sandbox.start()
            admin = ep.admin_url
            log.info(
                "Sandbox mode: the simulated remotes listen on %s; its admin switches are at "
                "%s (or use the Sandbox menu)",
                admin.removesuffix("/_admin"),
                admin,
            )
            write_address(paths.data_dir, admin.removesuffix("/_admin"), admin)
            remotes = Remotes(
                ep.outreach_base_url,
                ep.outreach_token,
                ep.workbooks_base_url,
                ep.workbooks_api_key,
                salesforce_base_url=ep.salesforce_base_url or None,
                salesforce_token=ep.salesforce_token or None,
                spotler_base_url=ep.spotler_base_url or None,
                spotler_consumer_key=ep.spotler_consumer_key,
                spotler_consumer_secret=ep.spotler_consumer_secret,
            )
        elif config.sandbox_mode:
            remotes = Remotes(None, None, None, None)
        else:
            remotes = resolve_remotes(config)
        sandbox_remotes = remotes if sandbox is not None else None
        gate = WriteGate(database.engine)

        def resolve(new: Config) -> Remotes:
            """The remotes of a changed configuration: the sandbox's while no address is set."""
            if new.sandbox_mode:
                return sandbox_remotes or Remotes(None, None, None, None)
            return resolve_remotes(new)

        def gate_for(new: Config) -> WriteGate | None:
            """The sandbox is ours to write to; a real remote's first two-way sync is previewed
            (also when Settings moves from the sandbox to real addresses)."""
            return None if new.sandbox_mode and sandbox is not None else gate

        service = SyncService(
            config,
            database,
            remotes,
            lock=lock_for(database, paths.lock_file, role=role),
            sandbox_mode=config.sandbox_mode,
            resolve=resolve,
            write_gate=gate_for(config),
            gate_for=gate_for,
        )
        endpoints = sandbox.endpoints if sandbox is not None else None
        salesmate = resolve_salesmate(config, endpoints)
        return Services(
            service,
            database,
            sandbox,
            salesmate,
            address_dir=paths.data_dir,
            settings_dir=paths.config_dir,
        )
    except BaseException:
        database.close()
        raise
