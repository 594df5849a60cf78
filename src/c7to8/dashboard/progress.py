"""Where a run publishes its progress (report.ProgressFile) and how the dashboard reads it back."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from ..config import Config

STALE_AFTER_S = 30.0


def progress_path(config: Config, explicit: str | None = None) -> Path:
    """`--progress-file`, else $C7TO8_PROGRESS_FILE, else one file per migrator database.

    The default lives under ~/.cache/c7to8/progress/ and is named after a hash of the migrator data
    source (URL without password + table prefix), so a run and a dashboard started with the same
    configuration on the same machine find each other without any setting.
    """
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("C7TO8_PROGRESS_FILE")
    if env:
        return Path(env).expanduser()
    ds = config.c8 or config.c7
    ident = f"{ds.display_url() if ds else 'none'}|{config.table_prefix}"
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]
    base = Path(os.environ.get("C7TO8_CACHE_DIR") or "~/.cache/c7to8").expanduser()
    return base / "progress" / f"{digest}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def read_progress(path: Path) -> dict[str, Any]:
    """The progress document plus `state` corrected for runs that died ("stopped") and `age_s`."""
    try:
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"state": "none", "types": [], "samples": [], "path": str(path)}
    except (OSError, ValueError) as exc:
        return {"state": "unreadable", "error": str(exc), "types": [], "samples": [], "path": str(path)}
    now = time.time()
    doc["age_s"] = round(now - float(doc.get("updated", now)), 1)
    doc["path"] = str(path)
    pid = doc.get("pid")
    if doc.get("state") == "running" and doc["age_s"] > STALE_AFTER_S and isinstance(pid, int) and not _alive(pid):
        doc["state"] = "stopped"
    return doc
