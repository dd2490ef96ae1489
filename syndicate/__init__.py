"""syndicate: the publishing back end of an independent newsroom."""
from pathlib import Path

from flask import Flask

from . import config
from .parts import App


def _template_folder() -> str:
    """Templates live at the project root; a built wheel carries them inside the package."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return str(packaged if packaged.is_dir() else here.parent / "templates")


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = App(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder=_template_folder(),
    )
    config.load(app, test_config)
    # "//" in a path is a 404 in the right shape, not an HTML redirect an API client cannot use.
    app.url_map.merge_slashes = False

    from . import assets, documents, errors, extensions, health, i18n, logs, metrics

    extensions.init_app(app)
    i18n.init_app(app)
    documents.init_app(app)
    logs.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)  # early: its clock starts before any other hook runs
    health.init_app(app)
    assets.init_app(app)

    from . import cli, content, desk, editorial, feeds, languages, media, members, partners, search

    languages.init_app(app)  # first: its URL converter must exist before any /<lang>/ route is added
    content.init_app(app)
    feeds.init_app(app)
    members.init_app(app)
    editorial.init_app(app)
    partners.init_app(app)
    desk.init_app(app)
    media.init_app(app)
    search.init_app(app)
    cli.init_app(app)
    # Registered last so it runs first after each view, before anything counts or decorates the answer.
    app.after_request(errors.end_transaction)

    from .urls import RootScript

    app.wsgi_app = RootScript(app.wsgi_app)

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N proxies, the client's address (for rate limits and leak counting) is in X-Forwarded-For.
        # X-Forwarded-Host is not trusted: links come from SITE_URL alone.
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)

    return app
