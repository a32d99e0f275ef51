"""``python -m shared.ingest <code> import FILE`` or ``python -m shared.ingest <code> serve``: the adapter of one
source system of contracts/sources.py (``tax``, ``insurance``, ``childcare``, ``housing``, ``water``)."""

import sys

from contracts.sources import SOURCES_BY_CODE
from shared.ingest.adapter import adapter_main, adapter_spec

if len(sys.argv) < 2 or sys.argv[1] not in SOURCES_BY_CODE:
    print(f"usage: python -m shared.ingest {{{','.join(SOURCES_BY_CODE)}}} {{import FILE,serve}} …", file=sys.stderr)
    sys.exit(2)
sys.exit(adapter_main(adapter_spec(sys.argv[1]), sys.argv[2:]))
