"""An app factory for `uvicorn --factory` and `localkis serve --workers N`: settings come from the environment.

LOCALKIS_CONFIG (path of the TOML file), LOCALKIS_DB (database URL), LOCALKIS_ADMIN_TOKEN (used when the
config has no admin_token; every worker must share it), LOCALKIS_LOG_LEVEL (default info).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from localkis.server.app import KisApp, create_app
from localkis.server.config import load_config
from localkis.store import open_store


def app_from_env() -> KisApp:
    # A worker process starts with logging unconfigured: the request log would print nothing.
    logging.basicConfig(level=os.environ.get("LOCALKIS_LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config(Path(os.environ["LOCALKIS_CONFIG"]))
    admin_token = config.server.admin_token or os.environ["LOCALKIS_ADMIN_TOKEN"]
    return create_app(config, open_store(os.environ["LOCALKIS_DB"]), admin_token=admin_token)
