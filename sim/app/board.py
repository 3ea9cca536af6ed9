"""The class board: every browser tab's last result, side by side, for the teacher's view.

Each browser tab that opens the classroom app has its own world (its own
:class:`~sim.app.session.ClassroomSession`). When something has come of it (incidents have
ended, or a campaign has run for a few steps), the page posts the world's result under its
current settings (:meth:`~sim.app.session.ClassroomSession.result`) here, under the tab's
name on this server ("Tab 3"): no name, address or anything else about the student. The
"Class results" page (:mod:`sim.app.class_view`) lists the posts and plots, per lesson, the
share of sparks that went global against each tab's setting, so a class fills in the cascade
window together.

One board per server process, shared by every session's thread: every access holds a lock.
Nothing here imports Solara.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BOARD", "MAX_POSTS", "ClassBoard", "Post"]

# Posts kept (the oldest go first): a class, several lessons each.
MAX_POSTS = 500


@dataclass(frozen=True)
class Post:
    """One tab's last result in one lesson."""

    tab: str
    lesson: str
    title: str
    values: dict[str, Any] = field(default_factory=dict)
    posted: float = 0.0


class ClassBoard:
    """Thread-safe posts keyed by (tab, lesson); a tab's new result replaces its last one."""

    def __init__(self, capacity: int = MAX_POSTS) -> None:
        self.capacity = capacity
        self.lock = threading.Lock()
        self.posts: OrderedDict[tuple[str, str], Post] = OrderedDict()
        self.names: dict[str, str] = {}
        self.version = 0  # bumped by every change, so a view redraws only when needed

    def tab_name(self, key: str) -> str:
        """A short name for one browser tab ("Tab 1", "Tab 2", ...), stable on this server."""
        with self.lock:
            if key not in self.names:
                self.names[key] = f"Tab {len(self.names) + 1}"
            return self.names[key]

    def post(self, tab: str, lesson: str, title: str, values: dict[str, Any]) -> None:
        """Record ``tab``'s result in ``lesson`` (replacing its last one there)."""
        with self.lock:
            old = self.posts.pop((tab, lesson), None)
            if old is not None and old.values == values:
                self.posts[(tab, lesson)] = old
                return
            self.posts[(tab, lesson)] = Post(tab, lesson, title, dict(values), time.time())
            while len(self.posts) > self.capacity:
                self.posts.popitem(last=False)
            self.version += 1

    def snapshot(self) -> tuple[int, list[Post]]:
        """The version and the posts, oldest first."""
        with self.lock:
            return self.version, list(self.posts.values())

    def clear(self) -> None:
        """Wipe the board (the teacher's "Clear" button; tab names are kept)."""
        with self.lock:
            self.posts.clear()
            self.version += 1


# The server's board: every session of this process posts here.
BOARD = ClassBoard()
