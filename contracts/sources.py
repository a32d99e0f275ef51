"""The source systems: one row per departmental system that feeds the platform, read by everything that used to
keep its own list (the adapters' runner, deploy/services.sh, deploy/demo.sh, the test fixtures, the benchmarks,
the synthetic city), and the departments' Japanese names, printed on notices and case files.

A new source system is its format module (``services/<code>_adapter/export_format.py``: ``parse_export``, and
``render_export`` for the synthetic city) plus one row of ``SOURCES``; docs/architecture.md, "Where to make a
change", lists the rest (docker-compose.yml, the README table; tests/unit/test_sources.py says what disagrees).

Keys (contracts/keys.py): every source system numbers its people and claims in its own **key space**, named by
its row's ``code``. A department's primary source is the row whose code is the department's value (``tax``,
``water`` …): its ids are stored as they are, and so is everything stored before key spaces existed. A second
vendor of one department (two water utilities after a merger: row ``water_east``, source system
``water-east-billing``, department WATER) has a code of its own, and its adapter qualifies every source key it
publishes with it (``water_east:W000123``, shared/ingest/records.py), so the two vendors' ids may overlap: matching
keys a person record and collection a claim by (department, qualified id), and what goes back to a vendor (feeds,
reconciliation, look-ups, each taking ``source``) is in its key space with its own ids. A department has exactly
one primary row; any number of other rows, each with a unique code (tests/unit/test_sources.py).

One row carries several departments: the standard data link (``standard_link``, 収滞納管理 標準連携), whose
``department`` is None and whose lines each name their department by their 税目コード (contracts/receivables.py).
It takes over the department's primary key space, adding no key of its own: its people are the resident
register's 宛名番号, the same ids the departments' systems use when they take their people from the register, and
its claims the department's 通知書番号. A city moves a department from its legacy system to the standard link by
sending that department's claims through it (and retiring the legacy export, or its 調定 for the new years); the
claims keep their keys, and both rows stay in the registry.

``python -m contracts.sources`` prints the rows for shell scripts, one per line, tab-separated:
code, adapter (process name), port variable, port, department (``*``: several, per record), export file,
delivery, media type.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from contracts.enums import Department
from contracts.keys import KEY_SPACE_PATTERN, KeySpaceError, is_primary

#: The departments' names on paper: the short label of the notices' claim tables (shared/documents) ...
DEPARTMENT_LABELS: Mapping[Department, str] = MappingProxyType({
    Department.TAX: "市税",
    Department.INSURANCE: "保険年金",
    Department.CHILDCARE: "保育給食",
    Department.HOUSING: "市営住宅",
    Department.WATER: "上下水道",
})

#: ... and the office (所管課) that holds a claim, as a case file for an outside firm names it
#: (services/lawyer_gateway/case_file.py; tax claims never go into one).
DEPARTMENT_OFFICES: Mapping[Department, str] = MappingProxyType({
    Department.TAX: "納税課",
    Department.INSURANCE: "国保年金課",
    Department.CHILDCARE: "保育課",
    Department.HOUSING: "市営住宅課",
    Department.WATER: "上下水道局",
})


@dataclass(frozen=True)
class SourceSystem:
    """One departmental source system and the adapter that reads its exports."""

    code: str  # the source system's code; names its adapter: tax → tax_adapter, tax-adapter, TAX_ADAPTER_*
    source_system: str  # in every message's envelope (contracts/envelope.py), e.g. "tax-core"
    department: Department | None  # None: several, each record's own (the standard link: by its 税目コード)
    port: int  # the adapter's HTTP port (POST /imports), TAX_ADAPTER_HTTP_PORT overrides it
    format_module: str  # parse_export (and render_export), e.g. "services.tax_adapter.export_format"
    export_file: str  # the file name of its export in the synthetic city, the demo and the benchmarks
    media_type: str  # what POST /imports takes
    label: str  # what the system bills, in Japanese, e.g. 住民税・固定資産税・軽自動車税
    # How a large file may be read in pieces (shared/ingest/streaming.py): "header" (CSV with a header line),
    # "headerless" (one record a line), or None (read whole: one JSON document).
    stream_lines: Literal["header", "headerless"] | None = None
    quoted_fields: bool = True  # CSV quoting: a piece is never cut inside a quoted field
    delivery: Literal["file", "push"] = "file"  # how the system hands over its export: a batch file or HTTP
    settings: str | None = None  # "module:Class" when the adapter has settings of its own (an AdapterSettings)

    @property
    def departments(self) -> tuple[Department, ...]:
        """The departments its records may belong to: its one department, or (the standard link) any."""
        return (self.department,) if self.department is not None else tuple(Department)

    @property
    def primary(self) -> bool:
        """The department's own source, whose ids are the department's primary key space (code = department)."""
        return self.department is not None and self.code == self.department.value

    def key_space(self, department: Department) -> str:
        """The key space its records of ``department`` are numbered in (contracts/keys.py): its code, or for the
        primary source and the standard link (which takes over the department's keys) the department's value."""
        if self.department is not None and department is not self.department:
            raise ValueError(f"source system {self.code!r} sends no records of {department.value}")
        return self.code if self.department is not None else department.value

    @property
    def adapter(self) -> str:
        """The adapter's name as a process, a compose service and a folder under services/: ``tax_adapter``."""
        return f"{self.code}_adapter"

    @property
    def service_name(self) -> str:
        """In logs, traces and Kafka client ids: ``tax-adapter``."""
        return f"{self.code}-adapter"

    @property
    def env_prefix(self) -> str:
        return f"{self.code.upper()}_ADAPTER_"

    @property
    def port_variable(self) -> str:
        return f"{self.env_prefix}HTTP_PORT"

    @property
    def title(self) -> str:
        return f"{self.code.replace('_', ' ').capitalize()} department adapter ({self.label})"

    def command(self, *args: str) -> list[str]:
        """The adapter's command line after the interpreter: ``command("import", FILE)``, ``command("serve")``."""
        return ["-m", "shared.ingest", self.code, *args]


SOURCES: tuple[SourceSystem, ...] = (
    SourceSystem("tax", "tax-core", Department.TAX, 8001, "services.tax_adapter.export_format", "tax_export.csv",
                 "text/csv; charset=Shift_JIS", "住民税・固定資産税・軽自動車税", stream_lines="header"),
    SourceSystem("insurance", "insurance-core", Department.INSURANCE, 8003, "services.insurance_adapter.export_format",
                 "insurance_export.txt", "text/plain; charset=Shift_JIS",
                 "国民健康保険税・介護保険料・後期高齢者医療保険料", stream_lines="headerless", quoted_fields=False),
    SourceSystem("childcare", "childcare-core", Department.CHILDCARE, 8004, "services.childcare_adapter.export_format",
                 "childcare_export.csv", "text/csv; charset=utf-8", "保育料・給食費", stream_lines="header"),
    SourceSystem("housing", "housing-manager", Department.HOUSING, 8005, "services.housing_adapter.export_format",
                 "housing_events.json", "application/json", "市営住宅使用料", delivery="push"),
    SourceSystem("water", "water-billing", Department.WATER, 8006, "services.water_adapter.export_format", "water_export.csv",
                 "text/csv; charset=Shift_JIS", "上水道料金・下水道使用料", stream_lines="headerless"),
    SourceSystem("standard_link", "standard-link", None, 8009, "services.standard_link_adapter.export_format",
                 "standard_link.csv", "text/csv; charset=utf-8", "収滞納管理 標準連携 (税目コードの所管課ごと)",
                 stream_lines="header",
                 settings="services.standard_link_adapter.export_format:StandardLinkAdapterSettings"),
)

SOURCES_BY_CODE: Mapping[str, SourceSystem] = MappingProxyType({source.code: source for source in SOURCES})


def source(code: str) -> SourceSystem:
    """The row of a source system by its code; KeyError naming the known codes."""
    try:
        return SOURCES_BY_CODE[code]
    except KeyError:
        raise KeyError(f"no source system {code!r} (known: {', '.join(SOURCES_BY_CODE)})") from None


SOURCES_BY_SYSTEM: Mapping[str, SourceSystem] = MappingProxyType({row.source_system: row for row in SOURCES})


def source_of(department: Department) -> SourceSystem:
    """The department's primary source system: the row whose code is the department's value (the standard link,
    which carries several departments, is none's)."""
    return next(row for row in SOURCES if row.department is department and row.primary)


def key_space_of(source_system: str, department: Department) -> str:
    """The key space of a message's ids from its envelope's ``source_system`` (contracts/keys.py): the row's, or
    the department's primary one for a source system the registry does not know (a message from before it)."""
    row = SOURCES_BY_SYSTEM.get(source_system)
    return row.key_space(department) if row is not None and department in row.departments else department.value


def key_space_of_sender(system_id: str, department: Department, asked: str | None) -> str | None:
    """The key space a department system reads and states in (feeds, reconciliation; contracts/keys.py), None for
    the department's primary one. The registry row of the credential's system id decides (``water-east-billing``
    → ``water_east``; ``water-billing`` → the primary); a system id the registry does not know reads the key space
    it asks for (``source``), by default the department's own. KeySpaceError when a known system asks for another
    system's key space."""
    row = SOURCES_BY_SYSTEM.get(system_id)
    if row is not None and department in row.departments:
        own = row.key_space(department)
        if asked is not None and asked != own:
            raise KeySpaceError(f"source {asked}: the credential of {system_id} reads and states only its own "
                                f"key space ({own})")
        asked = own
    return None if is_primary(asked, department) else asked


def registry_problems(registry: tuple[SourceSystem, ...]) -> list[str]:
    """What makes a registry's keys ambiguous (contracts/keys.py), one line each; none for a sound registry:
    every department has exactly one primary row (code = the department's value), every code is unique and a key
    space's name, and no row of a department takes another department's value as its code."""
    problems: list[str] = []
    codes = [row.code for row in registry]
    problems += [f"code {code!r} is used by {codes.count(code)} rows" for code in sorted(set(codes))
                 if codes.count(code) > 1]
    problems += [f"code {row.code!r} is not a key space's name (lower-case letters, digits, underscores)"
                 for row in registry if not re.fullmatch(KEY_SPACE_PATTERN, row.code)]
    departments = {department.value for department in Department}
    for department in Department:
        primary = [row.code for row in registry if row.department is department and row.primary]
        if len(primary) != 1:
            problems.append(f"{department.value}: {len(primary)} primary rows (code {department.value!r}), not 1")
    problems += [f"code {row.code!r} of a {row.department.value if row.department else 'several-department'} "
                 "row is another department's key space" for row in registry
                 if row.code in departments and not row.primary]
    return problems


def rows() -> list[str]:
    return ["\t".join((row.code, row.adapter, row.port_variable, str(row.port),
                       row.department.value if row.department else "*",
                       row.export_file, row.delivery, row.media_type)) for row in SOURCES]


if __name__ == "__main__":
    sys.stdout.write("".join(f"{line}\n" for line in rows()))
