"""The two kinds of upload and the sheets each reads (light: no Flask, no database; the
early read of ``flask import-filings`` needs them before the app is loaded)."""

from __future__ import annotations

from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS, REGISTRY

KIND_FILINGS = "filings"
KIND_REGISTRY = "registry"

#: the sheets each kind of upload reads
FILING_SHEETS = (CONTRACTS.name, ITEMS.name, COVERAGE.name, *CONTRACTS.aliases)
REGISTRY_SHEETS = (REGISTRY.name, *REGISTRY.aliases)
SHEETS = {KIND_FILINGS: FILING_SHEETS, KIND_REGISTRY: REGISTRY_SHEETS}
