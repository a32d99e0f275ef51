"""The source-system registry (contracts/sources.py) and what must agree with it: the adapters' folders, the shared
runner's settings, the README's table, the departments' labels. (docker-compose.yml: tests/unit/test_compose.py.)"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts import Department
from contracts.sources import (
    DEPARTMENT_LABELS,
    DEPARTMENT_OFFICES,
    SOURCES,
    SourceSystem,
    registry_problems,
    rows,
    source,
    source_of,
)
from shared.ingest.adapter import adapter_spec, settings_class

ROOT = Path(__file__).parents[2]
IDS = {"ids": lambda row: row.code}


def test_codes_adapters_and_ports_are_unique() -> None:
    for attribute in ("code", "source_system", "adapter", "port", "export_file"):
        values = [getattr(row, attribute) for row in SOURCES]
        assert len(set(values)) == len(values), attribute


def test_every_department_has_one_primary_source_and_every_code_names_its_own_key_space() -> None:
    """A department's primary source is the row whose code is its value: its ids are the department's key space
    (contracts/keys.py); other rows of a department (a second vendor) number in key spaces of their own."""
    assert registry_problems(SOURCES) == []
    assert {row.department for row in SOURCES if row.primary} == set(Department)


def water_east() -> SourceSystem:
    """A second water utility (after a merger): the water layout under a source system and code of its own."""
    return replace(source("water"), code="water_east", source_system="water-east-billing", port=8007,
                   export_file="water_east_export.csv", label="上水道料金・下水道使用料 (東部)")


def test_a_second_vendor_of_a_department_is_a_row_with_a_key_space_of_its_own() -> None:
    second = water_east()
    assert registry_problems((*SOURCES, second)) == []
    assert not second.primary and second.key_space(Department.WATER) == "water_east"
    assert source("water").key_space(Department.WATER) == "water"
    with pytest.raises(ValueError, match="sends no records of tax"):
        second.key_space(Department.TAX)


@pytest.mark.parametrize(("row", "problem"), [
    (replace(source("water"), code="water", source_system="water-east-billing"), "water: 2 primary rows"),
    (replace(source("water"), code="tax", source_system="water-east-billing"), "another department's key space"),
    (replace(source("water"), code="Water-East", source_system="water-east-billing"), "not a key space's name"),
    (replace(source("standard_link"), source_system="standard-link-2"), "'standard_link' is used by 2 rows"),
], ids=["second primary", "another department's code", "no key space name", "repeated code"])
def test_a_registry_whose_keys_would_collide_is_refused(row: SourceSystem, problem: str) -> None:
    assert any(problem in found for found in registry_problems((*SOURCES, row)))


def test_a_department_without_its_primary_source_is_refused() -> None:
    without = tuple(row for row in SOURCES if row.code != "housing")
    assert registry_problems(without) == ["housing: 0 primary rows (code 'housing'), not 1"]


def test_a_source_of_several_departments_takes_each_records_from_its_receivable() -> None:
    """The standard link has no department of its own: its lines are keyed (department, id) like every other
    source's, the department being the 税目コード's. Its code is no department's, so no key can collide."""
    several = [row for row in SOURCES if row.department is None]
    assert [row.code for row in several] == ["standard_link"]
    assert all(row.code not in set(Department) and row.departments == tuple(Department) for row in several)
    assert source("tax").departments == (Department.TAX,)
    # it takes over each department's primary key space: a department moving to it keeps its claims' keys
    assert [several[0].key_space(d) for d in Department] == [d.value for d in Department]


def test_every_department_has_its_labels() -> None:
    assert set(DEPARTMENT_LABELS) == set(Department) == set(DEPARTMENT_OFFICES)
    assert all(DEPARTMENT_LABELS.values()) and all(DEPARTMENT_OFFICES.values())
    assert len(set(DEPARTMENT_LABELS.values())) == len(Department)


def test_the_documents_and_the_case_file_print_the_one_table() -> None:
    from services.lawyer_gateway.case_file import DEPARTMENT_NAMES_JA
    from shared.documents.formatting import DEPARTMENT_LABELS as on_documents

    assert on_documents is DEPARTMENT_LABELS
    assert DEPARTMENT_NAMES_JA == {department.value: office for department, office in DEPARTMENT_OFFICES.items()}


def test_source_names_the_known_codes() -> None:
    assert source("water") is source_of(Department.WATER)
    with pytest.raises(KeyError, match="tax, insurance"):
        source("gas")


@pytest.mark.parametrize("row", SOURCES, **IDS)
def test_every_source_system_has_its_format_module_readme_and_a_sample_it_reads(row: SourceSystem) -> None:
    folder = ROOT / "services" / row.adapter
    assert row.format_module == f"services.{row.adapter}.export_format"
    module = importlib.import_module(row.format_module)
    assert callable(module.parse_export) and callable(module.render_export)  # render: the synthetic city
    assert module.SOURCE_SYSTEM == row.source_system  # what its messages' envelopes name
    assert (folder / "README.md").is_file()
    samples = sorted((folder / "samples").iterdir())
    assert samples, f"{folder}/samples is empty"
    for sample in samples:
        parsed = module.parse_export(sample.read_bytes(), file_name=sample.name, produced_at=lambda: datetime.now(UTC))
        assert parsed.accepted and not parsed.rejected, sample.name
        assert {a.message.source_system for a in parsed.accepted} == {row.source_system}
        assert {a.message.department for a in parsed.accepted} <= set(row.departments)
        if row.department is None:  # the sample shows lines of more than one department
            assert len({a.message.department for a in parsed.accepted}) > 1


def test_every_adapter_folder_is_a_row_and_holds_no_copy_of_the_shared_runner() -> None:
    folders = sorted(p.name for p in (ROOT / "services").iterdir() if p.name.endswith("_adapter"))
    assert folders == sorted(row.adapter for row in SOURCES)
    for folder in folders:
        runner_copies = {"__main__.py", "app.py", "adapter.py", "settings.py"} & {
            p.name for p in (ROOT / "services" / folder).iterdir()}
        assert not runner_copies, f"services/{folder}: {runner_copies} (shared/ingest/adapter.py runs every adapter)"


@pytest.mark.parametrize("row", SOURCES, **IDS)
def test_the_shared_runner_reads_the_rows_settings_and_format(row: SourceSystem,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "test")
    spec = adapter_spec(row.code)
    assert (spec.service_name, spec.department, spec.media_type) == (row.service_name, row.department, row.media_type)
    assert spec.parse_export is importlib.import_module(row.format_module).parse_export
    assert spec.settings().http_port == row.port
    monkeypatch.setenv(row.port_variable, "18999")
    monkeypatch.setenv(f"{row.env_prefix}MAX_BODY_BYTES", "4096")
    assert (spec.settings().http_port, spec.settings().max_body_bytes) == (18999, 4096)
    other = next(o for o in SOURCES if o is not row)
    assert settings_class(other)().http_port == other.port  # another adapter's prefix is not read


def test_the_shell_rows_are_the_registry() -> None:
    printed = subprocess.run([sys.executable, "-m", "contracts.sources"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert printed == rows()
    fields = [line.split("\t") for line in printed]
    assert [(f[0], f[1], f[2], int(f[3]), f[6], f[7]) for f in fields] == [
        (r.code, r.adapter, r.port_variable, r.port, r.delivery, r.media_type) for r in SOURCES]


def test_an_unknown_source_system_is_refused_with_the_known_ones() -> None:
    result = subprocess.run([sys.executable, "-m", "shared.ingest", "gas", "serve"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2
    assert "tax,insurance,childcare,housing,water" in result.stderr


def test_the_readme_table_has_one_row_per_source_system() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| department | source system |"):]
    lines = table.splitlines()[2:]  # below the header and its rule, up to the first line of no table
    table_rows = lines[:next(i for i, line in enumerate(lines) if not line.startswith("|"))]
    found = [re.findall(r"`(\w+)` \| \[services/(\w+)\]\(services/\w+/README\.md\) \| [^|]+ \| (\d+) \|$", line)
             for line in table_rows]
    assert [hit[0] for hit in found if hit] == [(r.code, r.adapter, str(r.port)) for r in SOURCES]
    assert all(found), "a row of the README's adapter table is not a source system of contracts/sources.py"


def test_a_source_with_settings_of_its_own_names_its_class() -> None:
    import dataclasses

    from shared.settings import AdapterSettings

    own = dataclasses.replace(source("tax"), settings="shared.settings:AdapterSettings")
    assert settings_class(own) is AdapterSettings
    assert settings_class(source("tax")).__name__ == "TaxAdapterSettings"
