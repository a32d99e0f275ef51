from collections.abc import Iterator

import pytest

from tests.e2e.processes import RunningService, run_services
from tests.infrastructure import Infrastructure


@pytest.fixture(scope="session")
def services(infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[dict[str, RunningService]]:
    """Every service as its own process, once for all end-to-end tests."""
    with run_services(infrastructure, tmp_path_factory.mktemp("service-logs")) as running:
        yield running
