"""Shared pytest fixtures: the cost cache of a test session lives in a temporary folder."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_cost_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read or fill the user's ~/.cache/fuseflow (stale entries would hide changes)."""
    folder = tmp_path_factory.mktemp("cost-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("FUSEFLOW_CACHE_DIR", str(folder))
    yield folder
    patch.undo()
