"""What an app keeps for the life of its process, made once by each module's init_app.

A request reaches these through the owning module's accessor (documents.cache(),
outbox.sender(app), ...), which reads a typed attribute of the app's Parts: no
string key is looked up, and nothing is made, per request.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Flask, current_app

if TYPE_CHECKING:
    from .content.state import Snapshots
    from .documents import DocumentCache
    from .members.networks import SeenNetworks
    from .members.outbox import Sender
    from .partners.websub import Pings


class Parts:
    """One app's long-lived objects; each attribute is set by the init_app of the module named beside it."""

    documents: DocumentCache  # documents
    snapshots: Snapshots  # content.state
    networks_seen: SeenNetworks  # members.networks
    outbox: Sender  # members.outbox
    websub: Pings  # partners.websub


class App(Flask):
    """The app create_app makes: Flask, holding its Parts."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = Parts()


def of(app: Flask) -> Parts:
    """The parts of a given app (a background thread holds its app, not a context)."""
    return cast(App, app).parts


def current() -> Parts:
    """The parts of the app handling this request or command."""
    return cast(App, current_app).parts
