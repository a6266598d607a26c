"""create_app(test_config=None): configuration, extensions, blueprints. Nothing else."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from core.config import load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, test_config)

    from core import auth, errors, i18n, templating
    from core.cli import register_cli
    from core.db import db

    db.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app)

    from bargaining.cli import register_cli as register_bargaining_cli
    from bargaining.views import bp as bargaining_bp
    from bargaining.views import home_section as bargaining_home
    from core.views import add_home_section
    from core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(bargaining_bp)
    add_home_section(app, bargaining_home)
    register_cli(app)
    register_bargaining_cli(app)

    auth.check_every_route_declares_access(app)
    return app
