"""The supported import formats, in detection order (the generic CSV last)."""

from __future__ import annotations

from recommender.errors import ImportFailed

from .base import Context, Format, Parsed, RowError
from .csv_sources import AnnuaireServicePublic, FranceServices, FranceTravail, Mairies, Siae
from .data_inclusion_services import DataInclusionServices
from .finess import FinessEtablissements
from .generic import GenericCsv
from .json_sources import DataInclusion, DilaAnnuaire
from .mediation_numerique import ConseillersNumeriques

FORMATS: tuple[Format, ...] = (
    FranceServices(),
    FranceTravail(),
    Siae(),
    AnnuaireServicePublic(),
    Mairies(),
    ConseillersNumeriques(),
    FinessEtablissements(),
    DilaAnnuaire(),
    DataInclusionServices(),
    DataInclusion(),
    GenericCsv(),
)


def by_name(name: str) -> Format:
    """The format called ``name``; ImportFailed (French) listing the valid names otherwise."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    valid = ", ".join(f.name for f in FORMATS)
    raise ImportFailed(f"Format inconnu : « {name} ». Formats possibles : {valid}.")


__all__ = ["FORMATS", "Context", "Format", "Parsed", "RowError", "by_name"]
