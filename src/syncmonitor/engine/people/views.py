"""Named views of the People list, kept in `people-views.json` in the settings folder.

Why the settings folder and not the cache: a view is the admin's own way of looking, like the
window's layout. It must survive rebuilding or deleting the cache, moving to a team store (where
every desktop keeps its own views, not one shared list anyone can rename), and it needs no
migration. `syncmonitor people list --view NAME` reads the same file.

A new admin gets the built-in views (`BUILT_IN_VIEWS`) the first time; from then on the file is
theirs: a deleted built-in view stays deleted. Writes are atomic (a temporary file renamed over
the old one); a damaged file is set aside as `people-views.damaged.json` and the built-in views
are used, so a bad file never stops the window.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.people_filter import (
    BUILT_IN_VIEWS,
    NamedView,
    PeopleFilter,
    clean_view_name,
)

log = logging.getLogger(__name__)

FILE_NAME = "people-views.json"


class ViewNameError(UserFacingError):
    title = "The view cannot have that name"


class ViewsNotSavedError(UserFacingError):
    title = "Views not saved"


class PeopleViews:
    """The named views, in the order the sidebar shows them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: kept in memory only
        self._views: list[NamedView] | None = None

    def all(self) -> list[NamedView]:
        if self._views is None:
            self._views = self._read()
        return list(self._views)

    def find(self, name: str) -> NamedView | None:
        wanted = clean_view_name(name).casefold()
        return next((v for v in self.all() if v.name.casefold() == wanted), None)

    def save(self, name: str, filt: PeopleFilter, *, replace: bool = False) -> NamedView:
        """Keep `filt` as the view `name` (a new one at the end; `replace`: over the view with
        that name, in its place)."""
        view = NamedView(self._checked(name, allow=name if replace else None), filt)
        views = self.all()
        at = next((i for i, v in enumerate(views) if v.name.casefold() == view.name.casefold()), -1)
        if at >= 0:
            views[at] = view
        else:
            views.append(view)
        self._write(views)
        return view

    def rename(self, old: str, new: str) -> NamedView:
        views = self.all()
        at = next((i for i, v in enumerate(views) if v.name == old), -1)
        if at < 0:
            raise ViewNameError(f"There is no view called '{old}'.", "Choose a view in the list.")
        renamed = NamedView(self._checked(new, allow=old), views[at].filter)
        views[at] = renamed
        self._write(views)
        return renamed

    def delete(self, name: str) -> None:
        self._write([v for v in self.all() if v.name != name])

    def _checked(self, name: str, *, allow: str | None) -> str:
        clean = clean_view_name(name)
        if not clean:
            raise ViewNameError("A view needs a name.", "Type a name, such as 'Opted out today'.")
        taken = {v.name.casefold() for v in self.all() if v.name != allow}
        if clean.casefold() in taken:
            raise ViewNameError(
                f"There is already a view called '{clean}'.",
                "Choose another name, or delete the other view first.",
            )
        return clean

    def _read(self) -> list[NamedView]:
        if self.path is None:
            return list(BUILT_IN_VIEWS)
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return list(BUILT_IN_VIEWS)
        except OSError as exc:
            log.warning(
                "Could not read the People views in %s (%s): using the built-in views",
                self.path,
                exc,
            )
            return list(BUILT_IN_VIEWS)
        try:
            data = json.loads(text)
            entries = data["views"]
            views = [
                NamedView(clean_view_name(str(e["name"])), PeopleFilter.from_dict(e.get("filter")))
                for e in entries
                if isinstance(e, dict) and clean_view_name(str(e.get("name", "")))
            ]
        except (ValueError, KeyError, TypeError) as exc:
            damaged = self.path.with_name("people-views.damaged.json")
            log.warning(
                "The People views file %s is damaged (%s): it was set aside as %s and the "
                "built-in views are used",
                self.path,
                exc,
                damaged.name,
            )
            with contextlib.suppress(OSError):
                os.replace(self.path, damaged)
            return list(BUILT_IN_VIEWS)
        return views

    def _write(self, views: list[NamedView]) -> None:
        if self.path is None:
            self._views = list(views)
            return
        data = {
            "version": 1,
            "views": [{"name": v.name, "filter": v.filter.to_dict()} for v in views],
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ViewsNotSavedError(
                f"The People views could not be saved in {self.path}: {exc.strerror or exc}.",
                "Check that the settings folder is writable and has free space, then try again.",
            ) from exc
        self._views = list(views)
