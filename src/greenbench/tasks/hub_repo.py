"""Where a hub source's rows and files come from: the dataset repo at its pinned revision, or a
local mirror laid out like the repo.

``GREENBENCH_HUB_MIRROR=DIR`` makes ``owner/name`` read from ``DIR/owner/name`` (the same files,
README configs and folders the hub repo has): ``datasets.load_dataset`` runs on that directory
exactly as it would on the repo, and files a transform needs (a Spider ``.sqlite`` database) are
read from it. Offline machines and the tests use it; a revision means nothing to a directory and
is ignored there. ``GREENBENCH_HUB_REVISION`` overrides every pinned revision (e.g. ``main``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from greenbench.errors import GreenbenchError
from greenbench.tasks.spec import HubSource

MIRROR_ENV = "GREENBENCH_HUB_MIRROR"
REVISION_ENV = "GREENBENCH_HUB_REVISION"


@dataclass(frozen=True)
class HubRepo:
    """A dataset repo as ``load_dataset`` and file reads should address it."""

    repo_id: str
    """``owner/name`` on the hub."""
    revision: str | None
    """Commit (or branch) to read; None for a local mirror or an unpinned source."""
    local_dir: Path | None = None
    """The mirror directory standing in for the repo, when one is configured."""

    @property
    def load_path(self) -> str:
        """First argument of ``datasets.load_dataset``."""
        return str(self.local_dir) if self.local_dir else self.repo_id

    def file(self, filename: str) -> Path:
        """A file of the repo (``database/x/x.sqlite``) on local disk, downloaded (and cached
        by ``huggingface_hub``) at the repo's revision when not mirrored."""
        if self.local_dir is not None:
            path = self.local_dir / filename
            if not path.is_file():
                raise GreenbenchError(f"hub mirror {self.local_dir}: no file {filename}")
            return path
        try:
            from huggingface_hub import hf_hub_download
        except ImportError:
            raise GreenbenchError(
                f"hub dataset {self.repo_id}: reading its files needs the 'huggingface_hub' "
                "package (pip install greenbench[tasks])"
            ) from None

        try:
            return Path(
                hf_hub_download(self.repo_id, filename, repo_type="dataset", revision=self.revision)
            )
        except Exception as exc:  # the hub client raises many types for "not reachable"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GreenbenchError(
                f"hub dataset {self.repo_id}: cannot fetch {filename} ({first})"
            ) from None


def resolve(hub: HubSource) -> HubRepo:
    """The repo ``hub`` names, mirrored or at its (possibly overridden) revision."""
    assert hub.path is not None
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        local = Path(mirror) / hub.path
        if not local.is_dir():
            raise GreenbenchError(f"{MIRROR_ENV}={mirror}: no directory {hub.path} in the mirror")
        return HubRepo(hub.path, None, local)
    return HubRepo(hub.path, os.environ.get(REVISION_ENV) or hub.revision)
